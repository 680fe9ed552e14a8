import { ActionId } from '../src/slack/blocks/ids.js';
import type { TestGatehouse } from '../test/support/gatehouse.js';
import { blockActionsPayload } from '../test/support/slack-requests.js';
import { percentile, sleep } from './stats.js';

const BATCH = 50;

type Waiter = (id: string) => Promise<unknown>;

/**
 * Click-to-resume latency: in batches of 50 waiting approvals, a signed click is sent for each
 * in turn; the latency is from sending the click to the waiter returning.
 */
export async function measureClickToResume(g: TestGatehouse, label: string, count: number, wait: Waiter) {
  const latencies: number[] = [];
  for (let done = 0; done < count; done += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) => `${label}-${done + i}`);
    await Promise.all(ids.map((id) => g.gatehouse.gate.submit({ id, title: `Benchmark ${id}` })));
    const resumed = new Map<string, Promise<number>>();
    for (const id of ids)
      resumed.set(
        id,
        wait(id).then(() => performance.now()),
      );
    await sleep(20); // every waiter is in place
    const sent = new Map<string, number>();
    for (const id of ids) {
      sent.set(id, performance.now());
      const res = await g.slackPost(blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0ALICE' }));
      if (res.status !== 200) throw new Error(`click answered ${res.status}`);
      await sleep(Math.random() * 10);
    }
    for (const id of ids) latencies.push((await resumed.get(id)!) - sent.get(id)!);
  }
  return summarize(latencies);
}

/** The in-process library waiter. */
export const libraryWaiter =
  (g: TestGatehouse): Waiter =>
  (id) =>
    g.gatehouse.gate.waitForDecision(id);

/** An HTTP client long-polling `GET /approvals/:id?wait=60`. */
export const longPollWaiter =
  (g: TestGatehouse): Waiter =>
  async (id) => {
    for (;;) {
      const body = (await (await g.api(`/api/v1/approvals/${id}?wait=60`)).json()) as { status: string };
      if (body.status !== 'pending') return body;
    }
  };

/** The baseline: an HTTP client asking once a second, starting at a random phase. */
export const pollingWaiter =
  (g: TestGatehouse): Waiter =>
  async (id) => {
    await sleep(Math.random() * 1000);
    for (;;) {
      const body = (await (await g.api(`/api/v1/approvals/${id}`)).json()) as { status: string };
      if (body.status !== 'pending') return body;
      await sleep(1000);
    }
  };

function summarize(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };
}
