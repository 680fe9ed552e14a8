import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { FakeAnthropic, messageReply } from '../support/fake-anthropic.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

/** The local operator's pages, fetched as a browser would (no sign-in: no API token, loopback). */
let g: TestGatehouse;
let receiver: Server;
let receiverUrl: string;
let anthropic: FakeAnthropic;
let cookie = '';
let csrf = '';

const page = async (path: string) => {
  const res = await fetch(`${g.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const text = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
  if (token) csrf = token;
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (set.length > 0) cookie = set.join('; ');
  return { status: res.status, text };
};
const post = (path: string, form: Record<string, string>) =>
  fetch(`${g.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
  });

beforeAll(async () => {
  receiver = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/done`;
  anthropic = await FakeAnthropic.start();
  anthropic.reply = (call) =>
    messageReply(call, {
      text: '```json\n{"summary":"Search first.","audience":"runners","channels":[{"name":"search","share":1}]}\n```',
    });
  g = await startGatehouse({
    slack: false,
    env: { GATEHOUSE_API_TOKEN: '', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: anthropic.url },
  });
  await page('/');
});
afterAll(async () => {
  await g.stop();
  await new Promise((resolve) => receiver.close(resolve));
  await anthropic.close();
});

const submit = (json: Record<string, unknown>) => g.gatehouse.gate.submit(json as never);

describe('Approve with changes (server side)', () => {
  it('checks the values with the gate’s rules and shows the diff before deciding', async () => {
    await submit({
      id: 'scale-1',
      title: 'Scale checkout',
      context: { replicas: 3, tier: 'gold' },
      modificationsSchema: {
        type: 'object',
        properties: { replicas: { type: 'integer', maximum: 10 }, tier: { enum: ['gold', 'silver'] } },
        required: ['replicas'],
      },
    });
    const form = await page('/approvals/scale-1/changes');
    expect(form.text).toContain('<select id="field-tier"');
    expect(form.text).toContain('max="10"');

    const notNumber = await post('/approvals/scale-1/changes', { 'f.replicas': 'lots', 'f.tier': 'gold' });
    expect(notNumber.status).toBe(400);
    expect(await notNumber.text()).toContain('Enter a whole number');
    const tooMany = await post('/approvals/scale-1/changes', { 'f.replicas': '99', 'f.tier': 'gold' });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toMatch(/replicas<\/a>: Too big/);
    const review = await post('/approvals/scale-1/changes', { 'f.replicas': '4', 'f.tier': 'silver' });
    expect(review.status).toBe(200);
    const diff = await review.text();
    expect(diff).toContain(
      '<th scope="row">replicas</th><td class="from"><del>3</del></td><td class="to"><ins>4</ins></td>',
    );
    expect(diff).toContain('<th scope="row">tier</th>');
    // Reviewing decided nothing.
    expect((await g.gatehouse.gate.get('scale-1')).status).toBe('pending');
    const modifications = /name="modifications" value="([^"]+)"/.exec(diff)![1]!.replaceAll('&quot;', '"');
    const decided = await post('/approvals/scale-1/decide', { decision: 'approve', modifications });
    expect(decided.status).toBe(303);
    expect((await g.gatehouse.gate.get('scale-1')).decision).toMatchObject({
      via: 'web',
      modifications: { replicas: 4, tier: 'silver' },
      edited: true,
    });
  });

  it('answers a second decision with who decided first', async () => {
    const again = await post('/approvals/scale-1/decide', { decision: 'reject' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('Approved by local-operator');
  });
});

describe('quorum', () => {
  it('counts a web vote toward the quorum and shows the progress until it is reached', async () => {
    await submit({ id: 'two-keys', title: 'Delete the old bucket', requiredApprovals: 2 });
    const voted = await post('/approvals/two-keys/decide', { decision: 'approve' });
    expect(voted.status).toBe(303);
    const stored = await g.gatehouse.gate.get('two-keys');
    expect(stored.status).toBe('pending');
    expect(stored.votes).toMatchObject([{ voter: 'local-operator', via: 'web', vote: 'approve' }]);
    const inbox = await page('/');
    expect(inbox.text).toContain('1 of 2 approvals');
    expect(inbox.text).toContain('You have voted on this request.');
    const again = await post('/approvals/two-keys/decide', { decision: 'approve' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('has already voted');
  });
});

describe('history and the approval page', () => {
  it('shows the audit timeline with callback attempts and whether the chain verifies', async () => {
    await submit({ id: 'mail-1', title: 'Send the newsletter', callbackUrl: receiverUrl });
    await post('/approvals/mail-1/decide', { decision: 'reject', feedback: 'Not this week' });
    await eventually(
      () => g.gatehouse.callbacks.deliveries('mail-1'),
      (d) => d[0]?.state === 'delivered',
    );
    await g.gatehouse.audit.idle();
    const { text } = await page('/approvals/mail-1');
    expect(text).toContain('Rejected by local-operator');
    expect(text).toContain('Not this week');
    expect(text).toMatch(/<strong>Requested<\/strong>/);
    expect(text).toMatch(/<strong>Decided<\/strong> by local-operator/);
    expect(text).toContain(`<strong>Callback attempt 1</strong> to ${receiverUrl}:`);
    expect(text).toContain('HTTP 200');
    expect(text).toContain('The audit chain verifies');
  });

  it('searches and filters decided approvals only', async () => {
    await submit({ id: 'still-open', title: 'Send the other newsletter' });
    const all = await page('/history?q=newsletter');
    expect(all.text).toContain('/approvals/mail-1');
    expect(all.text).not.toContain('/approvals/still-open');
    const approved = await page('/history?status=approved');
    expect(approved.text).toContain('/approvals/scale-1');
    expect(approved.text).not.toContain('/approvals/mail-1');
    expect((await page('/history?q=nothing-like-this')).text).toContain('No decided approval matches.');
  });
});

describe('tasks pages', () => {
  it('refuses input that is not JSON, and names the agent input that is wrong', async () => {
    await page('/tasks');
    const notJson = await post('/tasks', { agent: 'content-pipeline', input: '{topic' });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toContain('not valid JSON');
    const wrong = await post('/tasks', { agent: 'content-pipeline', input: '{"topic": ""}' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('topic: must not be empty');
    expect((await g.gatehouse.queries.tasks.list({ limit: 5 })).items).toEqual([]);
  });

  it('starts, cancels and resumes a task, and shows what it waits for', async () => {
    await page('/tasks');
    const started = await post('/tasks', { agent: 'campaign-launch', input: '{"budget": 60000}' });
    expect(started.status).toBe(303);
    const path = started.headers.get('location')!;
    const id = path.split('/').at(-1)!;
    const waiting = await eventually(
      () => g.gatehouse.tasks.status(id),
      (t) => t.waitingFor !== null,
    );
    const panel = await page(`${path}/panel`);
    expect(panel.text).toContain('Waiting for approval');
    expect(panel.text).toContain(`/approvals/${waiting.waitingFor!.approvalId}`);
    expect(panel.text).toContain('>Cancel</button>');

    expect((await post(`${path}/cancel`, {})).status).toBe(303);
    const cancelled = await g.gatehouse.tasks.settled(id);
    expect(cancelled.status).toBe('cancelled');
    expect((await page(path)).text).toContain('>Resume</button>');
    expect((await post(`${path}/cancel`, {})).status).toBe(409);

    expect((await post(`${path}/resume`, {})).status).toBe(303);
    expect((await g.gatehouse.tasks.status(id)).status).toBe('running');
    await g.gatehouse.tasks.cancel(id);
    await g.gatehouse.tasks.settled(id);
  });
});
