import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineTool } from '../../../src/agents/tools/types.js';
import { ValidationError } from '../../../src/errors.js';
import { MemoryStore } from '../../../src/store/memory.js';
import { FakeAnthropic, messageReply, toolResults, toolUseReply } from '../../support/fake-anthropic.js';
import { boot, emailSchema, type Outbox, sendEmail } from './support.js';

let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await FakeAnthropic.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const asked = { to: 'team@example.com', subject: 'Launch moves to Friday', body: 'See you Friday.' };

/** Claude calls send_email once, then ends the turn with a line naming what the tool said. */
function scriptOneCall(id = 'toolu_01') {
  fake.enqueue(
    (call) =>
      toolUseReply(call, { text: 'I will e-mail the team.', tools: [{ id, name: 'send_email', input: asked }] }),
    (call) => messageReply(call, { text: `Done: ${toolResults(call.body)[id]?.content}` }),
  );
}

describe('tool use with approvals', () => {
  it('runs the input an approver edited and tells Claude plainly what they changed', async () => {
    scriptOneCall();
    const outbox: Outbox = { sent: [] };
    const { agent, gate, nextRequest } = boot(fake, new MemoryStore(), [sendEmail(outbox)], {
      prompt: 'Tell the team the launch moved to Friday.',
      maxTokens: 32_000,
    });
    const run = agent.run({ taskId: 'mail-1' });
    const request = await nextRequest();

    expect(request).toMatchObject({
      id: 'mail-1:send:toolu_01',
      taskId: 'mail-1',
      requestedBy: 'mailer',
      title: 'Claude wants to run send_email',
      context: { tool: 'send_email', ...asked },
      modificationsSchema: emailSchema,
    });
    expect(outbox.sent).toEqual([]);
    // The gate holds the edit to the tool's input schema.
    await expect(
      gate.decide(request.id, {
        decision: 'approve',
        decidedBy: 'U0ALICE',
        via: 'api',
        modifications: { ...asked, to: 'not an address' },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    const edited = { ...asked, subject: 'Launch moves to Friday (draft)', to: 'leads@example.com' };
    await gate.decide(request.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      via: 'slack',
      modifications: edited,
      feedback: 'Leads first',
    });
    const result = await run;

    expect(outbox.sent).toEqual([{ ...edited, key: 'mail-1:send:toolu_01' }]);
    const [first, second] = fake.messageCalls;
    expect(first?.body).toMatchObject({ stream: true, tools: [{ name: 'send_email', input_schema: emailSchema }] });
    const toolResult = toolResults(second?.body).toolu_01;
    expect(toolResult.is_error).toBeUndefined();
    expect(toolResult.content).toContain('U0ALICE approved this call with changes: the tool ran with their input');
    expect(toolResult.content).toContain('to: "team@example.com" → "leads@example.com"');
    expect(toolResult.content).toContain('subject: "Launch moves to Friday" → "Launch moves to Friday (draft)"');
    expect(toolResult.content).toContain(`Input it ran with: ${JSON.stringify(edited)}`);
    expect(toolResult.content).toContain('Their note: "Leads first"');
    expect(toolResult.content).toContain('{"delivered":true,"to":"leads@example.com"}');
    expect(result.results.send).toMatchObject({
      text: expect.stringContaining('Done: U0ALICE approved'),
      stopReason: 'end_turn',
      turns: 2,
      calls: [
        {
          toolUseId: 'toolu_01',
          tool: 'send_email',
          outcome: 'edited',
          approvalId: 'mail-1:send:toolu_01',
          decidedBy: 'U0ALICE',
          input: edited,
          isError: false,
        },
      ],
    });
  });

  it('answers a rejection with an is_error result carrying the reason, and runs nothing', async () => {
    scriptOneCall();
    const outbox: Outbox = { sent: [] };
    const { agent, gate, nextRequest } = boot(fake, new MemoryStore(), [sendEmail(outbox)]);
    const run = agent.run({ taskId: 'mail-2' });
    const request = await nextRequest();
    await gate.decide(request.id, {
      decision: 'reject',
      decidedBy: 'U0BOB',
      via: 'slack',
      feedback: 'Not before legal signs off',
    });
    const result = await run;

    expect(outbox.sent).toEqual([]);
    expect(toolResults(fake.messageCalls[1]?.body).toolu_01).toEqual({
      type: 'tool_result',
      tool_use_id: 'toolu_01',
      is_error: true,
      content: 'Not run: U0BOB rejected this call of send_email. Their reason: "Not before legal signs off"',
    });
    expect(result.results.send).toMatchObject({ calls: [{ outcome: 'rejected', decidedBy: 'U0BOB', isError: true }] });
  });

  it('asks only when needsApproval says so, with the risk, approvers and timeout it returns', async () => {
    const paid: number[] = [];
    const refund = defineTool<{ orderId: string; usd: number }>({
      name: 'refund',
      description: 'Refunds an order.',
      input_schema: {
        type: 'object',
        properties: { orderId: { type: 'string' }, usd: { type: 'number', minimum: 0 } },
        required: ['orderId', 'usd'],
      },
      needsApproval: ({ usd }) => usd >= 100 && { risk: 'high', approvers: ['U0CFO'], timeoutSeconds: 600 },
      run: ({ usd }) => {
        paid.push(usd);
        return `refunded $${usd}`;
      },
    });
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          tools: [
            { id: 'toolu_small', name: 'refund', input: { orderId: 'A1', usd: 20 } },
            { id: 'toolu_big', name: 'refund', input: { orderId: 'B2', usd: 900 } },
          ],
        }),
      (call) => messageReply(call, { text: 'Both handled.' }),
    );
    const { agent, gate, nextRequest, requested } = boot(fake, new MemoryStore(), [refund]);
    const run = agent.run({ taskId: 'refunds-1' });
    const request = await nextRequest();

    expect(paid).toEqual([20]);
    expect(request).toMatchObject({
      id: 'refunds-1:send:toolu_big',
      approvers: ['U0CFO'],
      timeoutSeconds: 600,
      context: { tool: 'refund', risk: 'high', orderId: 'B2', usd: 900 },
    });
    expect(request.explanation).toContain('Risk: high.');
    await gate.decide(request.id, { decision: 'approve', decidedBy: 'U0CFO', via: 'slack' });
    await run;

    expect(paid).toEqual([20, 900]);
    expect(requested).toHaveLength(1);
    expect(toolResults(fake.messageCalls[1]?.body)).toMatchObject({
      toolu_small: { content: 'refunded $20' },
      toolu_big: { content: 'refunded $900' },
    });
  });

  it('nests an input that uses the names tool or risk itself, and runs its edit', async () => {
    const ran: unknown[] = [];
    const deploy = defineTool<{ tool: string; version: string }>({
      name: 'deploy',
      description: 'Deploys a service.',
      input_schema: {
        type: 'object',
        properties: { tool: { type: 'string' }, version: { type: 'string' } },
        required: ['tool', 'version'],
      },
      needsApproval: true,
      run: (input) => {
        ran.push(input);
        return 'deployed';
      },
    });
    fake.enqueue(
      (call) =>
        toolUseReply(call, { tools: [{ id: 'toolu_d', name: 'deploy', input: { tool: 'api', version: '2' } }] }),
      (call) => messageReply(call, { text: 'ok' }),
    );
    const { agent, gate, nextRequest } = boot(fake, new MemoryStore(), [deploy]);
    const run = agent.run({ taskId: 'deploy-1' });
    const request = await nextRequest();
    expect(request.context).toEqual({ tool: 'deploy', input: { tool: 'api', version: '2' } });
    await gate.decide(request.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      via: 'api',
      modifications: { input: { tool: 'api', version: '1.9' } },
    });
    await run;
    expect(ran).toEqual([{ tool: 'api', version: '1.9' }]);
    expect(toolResults(fake.messageCalls[1]?.body).toolu_d.content).toContain('version: "2" → "1.9"');
  });

  it('refuses input that does not fit the schema, unknown tools, and reports a failing tool, without asking', async () => {
    const outbox: Outbox = { sent: [] };
    const flaky = defineTool<Record<string, never>>({
      name: 'flaky',
      description: 'Always fails.',
      input_schema: { type: 'object', properties: {} },
      run: () => {
        throw new Error('upstream said no to admin@example.com');
      },
    });
    fake.enqueue(
      (call) =>
        toolUseReply(call, {
          tools: [
            { id: 'toolu_bad', name: 'send_email', input: { to: 'team@example.com' } },
            { id: 'toolu_none', name: 'launch_rocket', input: {} },
            { id: 'toolu_flaky', name: 'flaky', input: {} },
          ],
        }),
      (call) => messageReply(call, { text: 'I could not.' }),
    );
    const { agent, requested } = boot(fake, new MemoryStore(), [sendEmail(outbox), flaky]);
    const result = await agent.run({ taskId: 'bad-1' });

    expect(requested).toEqual([]);
    expect(outbox.sent).toEqual([]);
    const results = toolResults(fake.messageCalls[1]?.body);
    expect(results.toolu_bad).toMatchObject({ is_error: true });
    expect(results.toolu_bad.content).toMatch(/^Not run: the input does not fit the schema of send_email: subject: /);
    expect(results.toolu_none).toMatchObject({
      is_error: true,
      content: 'Not run: there is no tool named launch_rocket.',
    });
    expect(results.toolu_flaky).toMatchObject({ is_error: true });
    expect(results.toolu_flaky.content).toMatch(/^The tool failed: upstream said no to /);
    expect(results.toolu_flaky.content).not.toContain('admin@example.com');
    expect(result.results.send).toMatchObject({
      calls: [{ outcome: 'invalid' }, { outcome: 'invalid' }, { outcome: 'failed' }],
    });
  });
});
