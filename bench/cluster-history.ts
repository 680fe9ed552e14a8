import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { approvalIndexes } from '../src/approvals/records.js';
import type { ApprovalRecord } from '../src/approvals/types.js';
import { createStore } from '../src/store/index.js';
import { clusterEnv } from '../test/support/cluster.js';
import { API_TOKEN } from '../test/support/gatehouse.js';
import { bounded, type Latencies, summarize } from './cluster-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const DAY_MS = 86_400_000;

/** A stored approval as Gatehouse writes one: pending, or decided (approved/rejected) with its Slack message. */
function seedRecord(i: number, decided: boolean, now: number): ApprovalRecord {
  // History spread over the last 90 days; the pending ones asked within the last hour.
  const created = decided ? now - DAY_MS * 90 + Math.floor((i * DAY_MS * 89) / 100_000) : now - 3_600_000 + i;
  const status = !decided ? 'pending' : i % 7 === 0 ? 'rejected' : 'approved';
  const ts = `${Math.floor(created / 1000)}.${String(i % 1_000_000).padStart(6, '0')}`;
  return {
    id: `${decided ? 'hist' : 'open'}-${i}`,
    status,
    title: `Deploy build ${i} to production`,
    explanation: 'The release train of the week: migrations included, reviewed by the on-call engineer.',
    context: { build: i, service: `svc-${i % 40}`, diff: { files: 12, additions: 340, deletions: 51 } },
    requestedBy: `agent-${i % 25}`,
    taskId: `task-${Math.floor(i / 3)}`,
    approvers: ['U0ALICE', 'U0BOB'],
    channel: 'C0APPROVALS',
    callbackUrl: null,
    timeoutSeconds: 86_400,
    createdAt: new Date(created).toISOString(),
    expiresAt: new Date(created + 86_400_000).toISOString(),
    decision: decided
      ? {
          decidedBy: i % 2 ? 'U0ALICE' : 'U0BOB',
          decidedAt: new Date(created + 60_000).toISOString(),
          via: 'slack',
          feedback: status === 'rejected' ? 'Not during the freeze' : null,
          modifications: null,
        }
      : null,
    message: { channel: 'C0APPROVALS', ts },
    emailedAt: null,
    quorum: { required: 1, rejections: 1, allowSelfApproval: true },
    votes: [],
    ladder: { remindAt: null, escalateAt: null, onTimeout: 'timeout', escalation: { channel: null, approvers: [] } },
    remindedAt: null,
    escalatedAt: null,
    escalationMessage: null,
    modificationsSchema: null,
    version: decided ? 3 : 2,
  };
}

/**
 * Writes `pending` pending and `decided` decided approvals straight through the store port, with at
 * most `concurrency` inserts in flight. Resolves with the seconds it took.
 */
export async function seedApprovals(url: string, pending: number, decided: number, concurrency: number) {
  const started = performance.now();
  const store = await createStore(url);
  try {
    const approvals = store.records<ApprovalRecord>('approvals', approvalIndexes);
    const now = Date.now();
    await bounded(decided, concurrency, async (i) => {
      await approvals.insert(seedRecord(i, true, now));
    });
    await bounded(pending, concurrency, async (i) => {
      await approvals.insert(seedRecord(i, false, now));
    });
    const counted = await approvals.count('status', 'pending');
    if (counted !== pending) throw new Error(`seeded ${pending} pending but the store counts ${counted}`);
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}

/** Builds dist/ when the sources are newer (boot is measured on `npm start`, the compiled server). */
export function buildDist(): void {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('could not build dist/');
}

interface Booted {
  url: string;
  readyMs: number;
  stop(): Promise<void>;
}

/** Spawns `node dist/main.js` on `storeUrl` and resolves once /readyz answers 200: ms from the spawn. */
async function boot(env: Record<string, string>): Promise<Booted> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist', 'main.js')], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /Gatehouse listening on ([\d.]+):(\d+)/.exec(out);
        if (match) resolve(`http://${match[1]}:${match[2]}`);
        if (out.length > 100_000) out = out.slice(-1000);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
    });
    for (;;) {
      const ready = await fetch(`${url}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) return { url, readyMs: performance.now() - started, stop };
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface SizeFigures {
  /** Every boot-to-ready, in order (the first after seeding may re-index). */
  boots: number[];
  /** Best boot-to-ready of `boots` starts (a loaded machine only ever adds to a boot). */
  bootMs: number;
  list: Latencies;
  create: Latencies;
}

/**
 * On a seeded store: boot-to-ready (median of `boots`), then on the last boot `GET
 * /api/v1/approvals?status=pending&limit=100` and creates, `samples` of each, one at a time.
 */
export async function measureSize(storeUrl: string, slackUrl: string, boots: number, samples: number, tag: string) {
  const env = clusterEnv(storeUrl, slackUrl);
  const readies: number[] = [];
  let last: Booted | undefined;
  for (let i = 0; i < boots; i++) {
    await last?.stop();
    last = await boot(env);
    readies.push(last.readyMs);
  }
  const server = last!;
  try {
    const headers = { authorization: `Bearer ${API_TOKEN}` };
    const list: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/api/v1/approvals?status=pending&limit=100`, { headers });
      const body = (await res.json()) as { approvals: unknown[] };
      if (res.status !== 200 || body.approvals.length !== 100) throw new Error(`list answered ${res.status}`);
      if (i >= 5) list.push(performance.now() - t0); // the first few warm the process up
    }
    const creates: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/api/v1/approvals`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ id: `${tag}-new-${i}`, title: `Created on a full store ${i}` }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`create answered ${res.status}`);
      if (i >= 5) creates.push(performance.now() - t0);
    }
    const boots = [...readies];
    readies.sort((a, b) => a - b);
    return {
      boots,
      bootMs: readies[0]!,
      list: summarize(list),
      create: summarize(creates),
    } satisfies SizeFigures;
  } finally {
    await server.stop();
  }
}
