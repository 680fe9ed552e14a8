import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { createHttpApp } from '../../src/http/server.js';
import { createSlackApp } from '../../src/slack/app.js';
import { SlackApprovalNotifier } from '../../src/slack/notifier.js';
import { FakeSlack } from '../support/fake-slack.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.close();
});

const record = (createdAt: string): ApprovalRecord => ({
  id: 'deploy-7',
  status: 'pending',
  title: 'Deploy v7',
  explanation: '',
  context: {},
  requestedBy: null,
  taskId: null,
  approvers: ['U0ALICE'],
  channel: null,
  callbackUrl: null,
  timeoutSeconds: 3600,
  createdAt,
  expiresAt: '2026-12-01T13:00:00.000Z',
  decision: null,
  message: null,
  emailedAt: null,
  version: 1,
});

describe('announcing a request again', () => {
  function notifier(now: number) {
    const app = createSlackApp(
      { botToken: 'xoxb-test-token', signingSecret: 'secret-0123456789', apiUrl: slack.url },
      pino({ level: 'silent' }),
      createHttpApp(),
    );
    return new SlackApprovalNotifier(
      app.client,
      'C0APPROVALS',
      pino({ level: 'silent' }),
      undefined,
      undefined,
      () => now,
    );
  }

  it('finds the post that landed (by its metadata) instead of posting a second time', async () => {
    const created = Date.parse('2026-12-01T12:00:00.000Z');
    const first = await notifier(created + 100).requested(record(new Date(created).toISOString()));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.callsTo('chat.postMessage')[0]?.body.metadata).toEqual({
      event_type: 'gatehouse_approval_requested',
      event_payload: { approval_id: 'deploy-7' },
    });
    // The answer was lost (a crash before it was stored): the retry, a minute later, finds it.
    const again = await notifier(created + 60_000).requested(record(new Date(created).toISOString()));
    expect(again.message).toEqual(first.message);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(slack.callsTo('conversations.history')).toHaveLength(1);
  });
});
