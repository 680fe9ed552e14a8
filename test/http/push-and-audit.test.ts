import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCallbackSignature } from '../../src/approvals/callback-signature.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

let g: TestGatehouse;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ body: string; headers: IncomingMessage['headers'] }> = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gatehouse-callback`;
  g = await startGatehouse({ slack: false });
});
afterAll(async () => {
  await g.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

describe('push to waiting agents, and the audit trail, in a running Gatehouse', () => {
  it('streams the decision, POSTs a signed callback, and records both in a verifiable trail', async () => {
    const created = await g.api('/api/v1/approvals', {
      json: { id: 'push-1', title: 'Publish announcement', callbackUrl: receiverUrl },
    });
    expect(created.status).toBe(201);

    const stream = await g.api('/api/v1/approvals/push-1/events');
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      return text;
    };
    expect(await readUntil(/event: status/)).toContain('"status":"pending"');

    await g.api('/api/v1/approvals/push-1/decision', { json: { decision: 'approve', decidedBy: 'release-bot' } });
    expect(await readUntil(/event: decided[\s\S]*\n\n/)).toMatch(/event: decided\nid: \d+\ndata: .*"approved"/);

    const call = await eventually(
      async () => received[0],
      (r) => r !== undefined,
    );
    expect(
      verifyCallbackSignature({
        body: call!.body,
        secret: API_TOKEN,
        timestamp: call!.headers['x-gatehouse-timestamp'] as string,
        signature: call!.headers['x-gatehouse-signature'] as string,
      }),
    ).toBe(true);
    expect(JSON.parse(call!.body)).toMatchObject({
      event: 'approval.decided',
      approval: { id: 'push-1', status: 'approved' },
    });

    const trail = await eventually(
      async () => (await g.api('/api/v1/approvals/push-1/audit')).json(),
      (body) => body.callbacks?.[0]?.delivered === true && body.entries?.length >= 2,
    );
    expect(trail.entries.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['requested', 'decided']),
    );
    const verified = await g.api('/api/v1/audit/verify');
    expect(verified.status).toBe(200);
    expect((await verified.json()).ok).toBe(true);
  });
});
