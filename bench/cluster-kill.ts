import type { Instance } from '../test/support/cluster.js';
import type { FakeSlack } from '../test/support/fake-slack.js';
import { bounded, type Cluster, callbackReceiver, until } from './cluster-support.js';

/** What a `kill -9` right behind the answers left owed, and how long until all of it was done. */
export interface KillRecovery {
  decided: number;
  /** Owed at the moment of the kill (read right after it). */
  owed: { callbacks: number; audits: number; updates: number };
  /** Still not done when the bench gave up waiting (all 0 when nothing was lost). */
  missing: { callbacks: number; audits: number; updates: number };
  /** Spawn of the replacement → it logged that it listens (0 when nothing was restarted). */
  bootMs: number;
  /** From the restart (or, without one, the kill) until every callback, audit entry and Slack update is done. */
  doneMs: number;
}

const DONE_WITHIN_MS = 60_000;

/**
 * Creates `count` approvals with a callback on `a`, waits for their announcements, approves them
 * all by API on the victim (instance 2) and `kill -9`s it as soon as the last answer is in. Then
 * restarts it (`restart`) or leaves the others to take over after the lease, and times until every
 * callback arrived, every `decided` audit entry exists and every Slack message shows the outcome.
 */
export async function measureKill(
  cluster: Cluster,
  slack: FakeSlack,
  tag: string,
  count: number,
  restart: boolean,
): Promise<KillRecovery> {
  const receiver = await callbackReceiver();
  try {
    const [a, , victim] = cluster.instances as [Instance, Instance, Instance];
    const ids = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
    const ts = new Map<string, string>();
    await bounded(count, 8, async (i) => {
      const id = ids[i]!;
      const res = await a.api('/api/v1/approvals', {
        json: { id, title: `Aimed kill ${id}`, callbackUrl: receiver.url },
      });
      if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
    });
    await until(
      async () => {
        await bounded(count, 8, async (i) => {
          const id = ids[i]!;
          if (ts.has(id)) return;
          const body = (await (await a.api(`/api/v1/approvals/${id}`)).json()) as { message: { ts: string } | null };
          if (body.message) ts.set(id, body.message.ts);
        });
        return ts.size === count;
      },
      DONE_WITHIN_MS,
      'every announcement',
      50,
    );

    const answers = await Promise.all(
      ids.map((id) =>
        victim.api(`/api/v1/approvals/${id}/decision`, { json: { decision: 'approve', decidedBy: 'U0BOB' } }),
      ),
    );
    await victim.kill();
    const killedAt = Date.now();
    if (answers.some((answer) => answer.status !== 200)) throw new Error('a decision was not answered 200');

    const outcomeAt = (id: string) =>
      slack
        .callsTo('chat.update')
        .find((call) => call.body.ts === ts.get(id) && !JSON.stringify(call.body.blocks).includes('"actions"'))?.at;
    const auditAt = new Map<string, number>();
    /** Answers of the audit API other than a list of entries. */
    const auditErrors = new Set<string>();
    const checkAudits = () =>
      bounded(count, 8, async (i) => {
        const id = ids[i]!;
        if (auditAt.has(id)) return;
        const res = await a.api(`/api/v1/approvals/${id}/audit`);
        const body = (await res.json()) as { entries?: Array<{ type: string }> };
        // 404: no entry of this approval appended yet.
        if (!body.entries) {
          if (res.status !== 404) auditErrors.add(`${res.status} ${JSON.stringify(body).slice(0, 200)}`);
          return;
        }
        if (body.entries.some((entry) => entry.type === 'decided')) auditAt.set(id, Date.now());
      });
    /** Not done (by time `by`, epoch ms). */
    const late = (at: number | undefined, by: number) => at === undefined || at > by;
    const missing = (by = Number.POSITIVE_INFINITY) => ({
      callbacks: ids.filter((id) => late(receiver.firstAt.get(id), by)).length,
      audits: count - auditAt.size,
      updates: ids.filter((id) => late(outcomeAt(id), by)).length,
    });
    await checkAudits();
    const owed = missing(killedAt);

    const startedAt = Date.now();
    let bootMs = 0;
    if (restart) {
      await cluster.restart(2);
      bootMs = Date.now() - startedAt;
    }
    const complete = await until(
      async () => {
        await checkAudits();
        const left = missing();
        return left.callbacks + left.audits + left.updates === 0;
      },
      DONE_WITHIN_MS,
      'every owed effect after the kill',
      20,
    ).then(
      () => true,
      (error: Error) => {
        console.log(`  (stopped waiting: ${error.message})`);
        return false;
      },
    );
    const lastDone = complete
      ? Math.max(...ids.map((id) => Math.max(receiver.firstAt.get(id)!, auditAt.get(id)!, outcomeAt(id)!)), killedAt)
      : Number.NaN;
    const from = restart ? startedAt : killedAt;
    for (const error of auditErrors) console.log(`  audit API answered: ${error}`);
    return { decided: count, owed, missing: missing(), bootMs, doneMs: Math.max(0, lastDone - from) };
  } finally {
    await receiver.close();
  }
}

/**
 * Waits until every approval in `ids` has its `decided` audit entry on `on` (the audit trail is one
 * hash chain, appended one entry at a time cluster-wide, so it can trail the decisions). Resolves
 * with the ms it took, or NaN after `timeoutMs`.
 */
export async function auditCaughtUp(on: Instance, ids: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  const left = new Set(ids);
  return until(
    async () => {
      await bounded(left.size, 8, async (i) => {
        const id = [...left][i];
        if (id === undefined) return;
        const body = (await (await on.api(`/api/v1/approvals/${id}/audit`)).json()) as {
          entries?: Array<{ type: string }>;
        };
        if (body.entries?.some((entry) => entry.type === 'decided')) left.delete(id);
      });
      return left.size === 0;
    },
    timeoutMs,
    'the audit trail',
    250,
  ).then(
    () => Date.now() - started,
    () => Number.NaN,
  );
}
