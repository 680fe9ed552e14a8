import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deletePrefix, freshPrefix, redisReachable, urlWithPrefix } from '../test/store/redis-support.js';
import { clusterEnv, type Instance, startInstance } from '../test/support/cluster.js';
import type { FakeSlack } from '../test/support/fake-slack.js';
import { dropSchema, freshSchema, postgresReachable, schemaUrl } from '../test/support/postgres.js';
import { percentile } from './stats.js';

/** A store the cluster runs on: a URL of fresh, empty data, and how to remove it afterwards. */
export interface ClusterBackend {
  name: string;
  /** Whether the service answers (SQLite always does). */
  available(): Promise<boolean>;
  open(): { url: string; cleanup: () => Promise<void> };
}

export const CLUSTER_BACKENDS: ClusterBackend[] = [
  {
    name: 'SQLite file',
    available: async () => true,
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-cluster-'));
      return {
        url: `sqlite://${join(dir, 'cluster.sqlite')}`,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    available: () => postgresReachable(),
    open() {
      const schema = freshSchema('gh_bench_cluster');
      return { url: schemaUrl(schema), cleanup: () => dropSchema(schema) };
    },
  },
  {
    name: 'Redis',
    available: () => redisReachable().catch(() => false),
    open() {
      const prefix = freshPrefix();
      return { url: urlWithPrefix(prefix), cleanup: () => deletePrefix(prefix) };
    },
  },
];

/** p50, p99 and max of some samples (ms). */
export interface Latencies {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
}

/** Runs `task(i)` for i in 0..count-1 with at most `limit` running at once. */
export async function bounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** Resolves once `probe` returns true, asking every `everyMs`; throws after `timeoutMs`. */
export async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 10) {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Three instances (a, b, c) on one store and one fake Slack. */
export interface Cluster {
  env: Record<string, string>;
  instances: Instance[];
  /** Replaces instance `i` by a new process of the same name (after a kill). */
  restart(i: number): Promise<Instance>;
  stop(): Promise<void>;
}

/** Starts a, then b and c (the first creates the schema or file; the others join it). */
export async function startCluster(storeUrl: string, slack: FakeSlack, extra: Record<string, string> = {}) {
  const env = clusterEnv(storeUrl, slack.url, extra);
  const first = await startInstance('a', env).catch((error: Error) => {
    // Schema creation can meet another run's on a shared server (PostgreSQL: "deadlock detected").
    console.log(`  a did not start (${error.message.split('\n')[0]}); starting it again`);
    return startInstance('a', env);
  });
  const instances = [first];
  instances.push(...(await Promise.all(['b', 'c'].map((name) => startInstance(name, env)))));
  const cluster: Cluster = {
    env,
    instances,
    async restart(i) {
      const name = instances[i]!.name;
      instances[i] = await startInstance(name, env);
      return instances[i];
    },
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()));
    },
  };
  return cluster;
}

/** A local HTTP endpoint for approval callbacks: when (epoch ms) each approval's first callback arrived. */
export async function callbackReceiver() {
  const firstAt = new Map<string, number>();
  let total = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      total += 1;
      const id = (JSON.parse(body) as { approval: { id: string } }).approval.id;
      if (!firstAt.has(id)) firstAt.set(id, Date.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    firstAt,
    get total() {
      return total;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
