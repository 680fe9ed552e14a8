import { API_TOKEN, SIGNING_SECRET, startGatehouse } from '../test/support/gatehouse.js';
import { startBaseline } from './baseline-server.js';
import type { LoadClient } from './load.js';
import type { Call, Target } from './load-client.js';

/** How much load each figure gets (bounded, so a run ends). */
export interface SideBySideSizes {
  clicks: number;
  creates: number;
  gets: number;
  concurrency: number;
}

/** The figures of one server. */
export interface ServerFigures {
  clickP50: number;
  clickP99: number;
  createPerSecond: number;
  getPerSecond: number;
  decidePerSecond: number;
  ackP50: number;
  ackP99: number;
  /** Answers other than 2xx, by call (there should be none). */
  failures: string[];
}

/** A server under test: where it listens and how to stop it. */
export interface Subject {
  target: Target;
  stop(): Promise<void>;
}

/**
 * Gatehouse as `npm start` runs it (SQLite, Bolt over HTTP), its Slack Web API faked in the load
 * process; on `sqliteFile` when given (kept after), else a fresh file.
 */
export async function gatehouseSubject(
  load: LoadClient,
  env: Record<string, string> = {},
  sqliteFile?: string,
): Promise<Subject> {
  const slackUrl = await load.call('slack');
  const g = await startGatehouse({ sqliteFile, env: { APPROVERS: 'U0ALICE', SLACK_API_URL: slackUrl, ...env } });
  // Its own fake Slack, started by the helper, stays idle: Slack calls go to the load process.
  return { target: { url: g.url, token: API_TOKEN, signingSecret: SIGNING_SECRET }, stop: () => g.stop() };
}

/** The minimal server (node:http + a Map + an EventEmitter). */
export async function baselineSubject(): Promise<Subject> {
  const b = await startBaseline({ token: API_TOKEN, signingSecret: SIGNING_SECRET });
  return { target: { url: b.url, token: API_TOKEN, signingSecret: SIGNING_SECRET }, stop: () => b.stop() };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/**
 * Click → long-poll latency, create / GET / decision throughput, and the ack time of 100 signed
 * clicks sent at once, for one server, with the load from the other process.
 */
export async function measureServer(load: LoadClient, subject: Subject, sizes: SideBySideSizes) {
  const { target } = subject;
  const failures: string[] = [];
  const run = async (call: Call, list: string[], concurrency: number) => {
    const r = await load.call('run', target, call, list, concurrency);
    for (const [status, count] of Object.entries(r.statuses))
      if (!status.startsWith('2')) failures.push(`${call}: ${count} × ${status}`);
    return r;
  };

  const clickIds = ids('click', sizes.clicks);
  await run('create', clickIds, sizes.concurrency);
  const click = await load.call('clickToLongPoll', target, clickIds);

  const created = ids('tp', sizes.creates);
  // A short warm-up, so the first figures do not count the JIT's first compile.
  await run('create', ids('warm', 200), sizes.concurrency);
  await run('get', ids('warm', 200), sizes.concurrency);
  const create = await run('create', created, sizes.concurrency);
  const gets = Array.from({ length: sizes.gets }, (_, i) => created[i % created.length]!);
  const get = await run('get', gets, sizes.concurrency);
  const decide = await run('decide', created, sizes.concurrency);

  const ackIds = ids('ack', 100);
  await run('create', ackIds, sizes.concurrency);
  const ack = await run('click', ackIds, 100);

  return {
    clickP50: click.p50,
    clickP99: click.p99,
    createPerSecond: create.perSecond,
    getPerSecond: get.perSecond,
    decidePerSecond: decide.perSecond,
    ackP50: ack.p50,
    ackP99: ack.p99,
    failures,
  } satisfies ServerFigures;
}
