import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { ActionId, encodeModalMetadata, ViewId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, viewSubmissionPayload } from '../support/slack-requests.js';

/** Slack's Socket Mode end on loopback: says hello, delivers envelopes, records the acks. */
let wss: WebSocketServer;
let socket: WebSocket | undefined;
const acks: string[] = [];
let slack: FakeSlack;
let g: TestGatehouse;

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string };
      if (message.envelope_id) acks.push(message.envelope_id);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0GATEHOUSE' } }));
  });
  const wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
  slack = await FakeSlack.start();
  slack.respond('apps.connections.open', () => ({ body: { ok: true, url: wsUrl } }));
  g = await startGatehouse({
    fakeSlack: slack,
    env: { SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: 'xapp-1-test-app-token' },
  });
});
afterAll(async () => {
  await g.stop();
  await slack.close();
  await new Promise((resolve) => wss.close(resolve));
});

describe('Socket Mode', () => {
  it('connects out with the app token, and a click arriving over the socket is acked and decides', async () => {
    const open = await slack.waitFor('apps.connections.open');
    expect(open.token).toBe('xapp-1-test-app-token');
    await eventually(
      async () => socket,
      (s) => s !== undefined,
    );

    await g.gatehouse.gate.submit({ id: 'socket-1', title: 'Over the socket' });
    const approval = await eventually(
      () => g.gatehouse.gate.get('socket-1'),
      (r) => r.message !== null,
    );
    const payload = blockActionsPayload({
      actionId: ActionId.Approve,
      value: 'socket-1',
      userId: 'U0ALICE',
      messageTs: approval.message!.ts,
    });
    socket!.send(
      JSON.stringify({ envelope_id: 'env-1', type: 'interactive', accepts_response_payload: false, payload }),
    );

    await eventually(
      async () => acks,
      (a) => a.includes('env-1'),
    );
    const decided = await eventually(
      () => g.gatehouse.gate.get('socket-1'),
      (r) => r.status === 'approved',
    );
    expect(decided.decision).toMatchObject({ decidedBy: 'U0ALICE', via: 'slack' });
    await slack.waitFor('chat.update', (c) => c.body.ts === approval.message!.ts);
  });

  it('acks a hostile envelope (view.state: null) and decides nothing', async () => {
    await eventually(
      async () => socket,
      (s) => s !== undefined,
    );
    await g.gatehouse.gate.submit({ id: 'socket-2', title: 'Stays pending' });
    const payload = viewSubmissionPayload({
      callbackId: ViewId.Reject,
      privateMetadata: encodeModalMetadata({ approvalId: 'socket-2', channel: null, ts: null }),
      userId: 'U0ALICE',
      overrides: { view: { state: null } },
    });
    socket!.send(
      JSON.stringify({ envelope_id: 'env-2', type: 'interactive', accepts_response_payload: true, payload }),
    );
    await eventually(
      async () => acks,
      (a) => a.includes('env-2'),
    );
    expect((await g.gatehouse.gate.get('socket-2')).status).toBe('pending');
  });
});
