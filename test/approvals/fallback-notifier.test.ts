import { describe, expect, it } from 'vitest';
import { FallbackNotifier } from '../../src/approvals/fallback-notifier.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import type { Announcement, ApprovalNotifier } from '../../src/approvals/notifier.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock, settle } from '../support/manual-clock.js';

/** A notifier that records its calls and answers (or fails) as told. */
class ScriptedNotifier implements ApprovalNotifier {
  requestedCalls: ApprovalRecord[] = [];
  decidedCalls: ApprovalRecord[] = [];
  failRequested: Error | null = null;
  failDecided: Error | null = null;

  constructor(private readonly announcement: Announcement) {}

  async requested(record: ApprovalRecord): Promise<Announcement> {
    this.requestedCalls.push(record);
    if (this.failRequested) throw this.failRequested;
    return this.announcement;
  }

  async decided(record: ApprovalRecord): Promise<void> {
    this.decidedCalls.push(record);
    if (this.failDecided) throw this.failDecided;
  }
}

const slackDown = () =>
  Object.assign(new Error('An HTTP protocol error occurred: statusCode = 503'), { code: 'slack_webapi_http_error' });

function setup() {
  const slack = new ScriptedNotifier({ message: { channel: 'C0APPROVALS', ts: '1700000000.000100' } });
  const email = new ScriptedNotifier({ emailedAt: '2026-01-05T09:00:01.000Z' });
  const clock = new ManualClock();
  const memory = new MemoryStore({ clock });
  const store = memory.records<ApprovalRecord>('approvals');
  const notifier = new FallbackNotifier({ primary: slack, fallback: email });
  const gate = new ApprovalGate({ store: memory, clock, notifier });
  return { memory, slack, email, store, clock, notifier, gate };
}

describe('FallbackNotifier', () => {
  it('e-mails the request once when Slack fails, and stores when', async () => {
    const { slack, email, gate } = setup();
    slack.failRequested = slackDown();

    await gate.submit({ id: 'launch-1', title: 'Launch campaign' });
    await settle();

    expect(slack.requestedCalls).toHaveLength(1);
    expect(email.requestedCalls.map((record) => record.id)).toEqual(['launch-1']);
    expect(await gate.get('launch-1')).toMatchObject({ message: null, emailedAt: '2026-01-05T09:00:01.000Z' });
  });

  it('does not e-mail again when a restart re-announces a request while Slack is still down', async () => {
    const { memory, slack, email, clock, gate } = setup();
    slack.failRequested = slackDown();
    await gate.submit({ id: 'launch-1', title: 'Launch campaign' });
    await settle();
    gate.stop();
    await memory.effects.stop();

    // A new process on the same store: the request has no Slack message, so it is announced again.
    const restarted = new ApprovalGate({
      store: memory,
      clock,
      notifier: new FallbackNotifier({ primary: slack, fallback: email }),
    });
    await restarted.start();
    // The announcement is owed until Slack takes it: retried after its backoff.
    await clock.advance(2000);
    await settle();

    expect(slack.requestedCalls).toHaveLength(2);
    expect(email.requestedCalls).toHaveLength(1);
    expect(await restarted.get('launch-1')).toMatchObject({ message: null, emailedAt: '2026-01-05T09:00:01.000Z' });
  });

  it('posts to Slack after a restart once Slack is back, keeping the e-mail time', async () => {
    const { memory, slack, email, clock, gate } = setup();
    slack.failRequested = slackDown();
    await gate.submit({ id: 'launch-1', title: 'Launch campaign' });
    await settle();
    gate.stop();
    await memory.effects.stop();
    slack.failRequested = null;

    const restarted = new ApprovalGate({
      store: memory,
      clock,
      notifier: new FallbackNotifier({ primary: slack, fallback: email }),
    });
    await restarted.start();
    // The announcement is owed until Slack takes it: retried after its backoff.
    await clock.advance(2000);
    await settle();

    expect(email.requestedCalls).toHaveLength(1);
    expect(await restarted.get('launch-1')).toMatchObject({
      message: { channel: 'C0APPROVALS', ts: '1700000000.000100' },
      emailedAt: '2026-01-05T09:00:01.000Z',
    });
  });

  it('leaves e-mail alone when Slack posts the request', async () => {
    const { slack, email, gate } = setup();

    await gate.submit({ id: 'launch-1', title: 'Launch campaign' });
    await settle();

    expect(slack.requestedCalls).toHaveLength(1);
    expect(email.requestedCalls).toHaveLength(0);
    expect(await gate.get('launch-1')).toMatchObject({ message: { ts: '1700000000.000100' }, emailedAt: null });
  });

  it('uses e-mail when Slack answers without having posted anywhere', async () => {
    const email = new ScriptedNotifier({ emailedAt: '2026-01-05T09:00:01.000Z' });
    const notifier = new FallbackNotifier({ primary: new ScriptedNotifier({}), fallback: email });
    const { record } = await setup().gate.submit({ id: 'x', title: 'X' });

    expect(await notifier.requested(record)).toEqual({ emailedAt: '2026-01-05T09:00:01.000Z' });
    expect(email.requestedCalls).toHaveLength(1);
  });

  it('fails (for the gate to log) when e-mail fails too', async () => {
    const { slack, email, notifier, gate } = setup();
    slack.failRequested = slackDown();
    email.failRequested = new Error('could not e-mail approval launch-1 to any recipient');
    const { record } = await gate.submit({ id: 'launch-1', title: 'Launch campaign' });

    await expect(notifier.requested(record)).rejects.toThrow('could not e-mail approval');
  });

  it('tells both notifiers the outcome, even when one of them fails', async () => {
    const { slack, email, gate } = setup();
    slack.failRequested = slackDown();
    slack.failDecided = slackDown();
    await gate.submit({ id: 'launch-1', title: 'Launch campaign' });
    await settle();

    await gate.decide('launch-1', { decision: 'approve', decidedBy: 'email:alice@example.com', via: 'email' });
    await settle();

    expect(slack.decidedCalls.map((record) => record.status)).toEqual(['approved']);
    expect(email.decidedCalls.map((record) => [record.status, record.emailedAt])).toEqual([
      ['approved', '2026-01-05T09:00:01.000Z'],
    ]);

    email.failDecided = new Error('SMTP down');
    slack.failDecided = null;
    const { record } = await gate.submit({ id: 'launch-3', title: 'Other' });
    await settle();
    const rejected = await gate.decide(record.id, { decision: 'reject', decidedBy: 'U0ALICE', via: 'slack' });
    await settle();
    expect(slack.decidedCalls.at(-1)).toEqual(rejected);
    expect(email.decidedCalls.at(-1)).toEqual(rejected);
  });
});
