import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/types.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

let g: TestGatehouse;
const CHANNEL = 'C0ALERTS';

beforeAll(async () => {
  g = await startGatehouse({ env: { SLACK_ALERTS_CHANNEL: CHANNEL } });
});
afterAll(async () => {
  await g.stop();
});

describe('storm digest in the running app (SQLite, deliveries as effects)', () => {
  it('posts one digest for 150 distinct failures, and the API history says each went to it', async () => {
    const digest = g.slack!.waitFor(
      'chat.postMessage',
      (c) => String(c.body.text ?? '').includes('failing alert groups in the last'),
      20_000,
    );
    for (let i = 0; i < 150; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const res = await g.api('/api/v1/alerts', {
            json: { kind: 'failure', taskId: `app-storm-${i + j}`, stage: 'load', error: 'ECONNRESET' },
          });
          expect(res.status).toBe(202);
        }),
      );
    }
    const posted = await digest;
    await g.gatehouse.alerts.idle();
    const res = await g.api('/api/v1/alerts?limit=500');
    const { alerts } = (await res.json()) as { alerts: AlertRecord[] };
    expect(alerts).toHaveLength(150);
    const deliveries = alerts.map((a) => a.deliveries.find((d) => d.target === `slack:${CHANNEL}`));
    const digested = deliveries.filter((d) => d?.status === 'digest');
    const alone = deliveries.filter((d) => d?.status === 'sent');
    expect(digested.length + alone.length).toBe(150);
    expect(digested.length).toBeGreaterThan(80);
    const posts = g.slack!.callsTo('chat.postMessage').filter((c) => c.body.channel === CHANNEL);
    // The posts before the storm started, then the digest: nothing else queued one by one.
    expect(posts).toHaveLength(alone.length + 1);
    expect(posted.body.channel).toBe(CHANNEL);
    expect(JSON.stringify(posted.body.blocks)).toContain(`:${new URL(g.url).port}/api/v1/alerts`);
    expect(new Set(digested.map((d) => d?.message?.ts)).size).toBe(1);
  });
});
