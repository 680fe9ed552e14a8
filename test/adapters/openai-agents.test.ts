import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, setTracingDisabled, tool } from '@openai/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fileRunStates, gatehouseApprovals, type RunStateStore } from '../../src/adapters/openai-agents/index.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { GatehouseClient } from '../../src/client/index.js';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload } from '../support/slack-requests.js';
import { callOutputs, ScriptedModel } from './support/scripted-openai-model.js';

let g: TestGatehouse;
let client: GatehouseClient;
beforeAll(async () => {
  setTracingDisabled(true);
  g = await startGatehouse();
  client = new GatehouseClient({ url: g.url, token: API_TOKEN });
});
afterAll(async () => {
  await g.stop();
});

type Refund = { orderId: string; usd: number };

/** A "process": its own scripted model, refund tool and agent, and Gatehouse approvals for the run. */
function boot(
  runId: string,
  callId: string,
  refunds: Refund[],
  {
    states = fileRunStates(mkdtempSync(join(tmpdir(), 'runs-'))),
    signal,
    wrap = true,
  }: { states?: RunStateStore; signal?: AbortSignal; wrap?: boolean } = {},
) {
  const model = new ScriptedModel(
    [{ callId, name: 'refund', arguments: { orderId: 'A-12', usd: 120 } }],
    (outputs) => `Done: ${outputs[callId]}`,
  );
  const approvals = gatehouseApprovals({ client, runId, states, signal, approvers: ['U0ALICE'] });
  const refund = tool({
    name: 'refund',
    description: 'Refunds an order.',
    parameters: z.object({ orderId: z.string(), usd: z.number().positive() }),
    needsApproval: true,
    execute: async (input) => {
      refunds.push(input);
      return `refunded $${input.usd} on ${input.orderId}`;
    },
  });
  const agent = new Agent({
    name: 'support',
    instructions: 'Refund when asked.',
    model,
    tools: [wrap ? approvals.tool(refund) : refund],
  });
  return { model, agent, approvals, states };
}

const asked = (id: string) =>
  eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (record) => record?.message != null,
    15_000,
  ) as Promise<ApprovalRecord>;

describe.concurrent('OpenAI Agents through Gatehouse', () => {
  it('runs the tool with the input an approver edited, and tells the model what changed', async () => {
    const refunds: Refund[] = [];
    const { agent, approvals, model } = boot('oa-edit', 'call_edit', refunds);
    const run = approvals.run(agent, 'Refund order A-12');
    const record = await asked('oa-edit:call_edit');
    expect(record).toMatchObject({
      context: { tool: 'refund', orderId: 'A-12', usd: 120 },
      approvers: ['U0ALICE'],
      requestedBy: 'openai-agents',
    });
    await client.decide(record.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      modifications: { orderId: 'A-12', usd: 40 },
    });
    const result = await run;

    expect(refunds).toEqual([{ orderId: 'A-12', usd: 40 }]);
    const told = callOutputs(model.requests.at(-1)!).call_edit;
    expect(told).toContain('U0ALICE approved this call with changes');
    expect(told).toContain('usd: 120 → 40');
    expect(told).toContain('refunded $40 on A-12');
    expect(result.finalOutput).toContain('Done: U0ALICE approved');
  });

  it('refuses an edit it cannot apply to a tool that was not wrapped, rather than run the original', async () => {
    const refunds: Refund[] = [];
    const { agent, approvals, model } = boot('oa-unwrapped', 'call_unwrapped', refunds, { wrap: false });
    const run = approvals.run(agent, 'Refund order A-12');
    const record = await asked('oa-unwrapped:call_unwrapped');
    await client.decide(record.id, {
      decision: 'approve',
      decidedBy: 'U0ALICE',
      modifications: { orderId: 'A-12', usd: 40 },
    });
    await run;

    expect(refunds).toEqual([]);
    expect(callOutputs(model.requests.at(-1)!).call_unwrapped).toMatch(
      /^Not run: U0ALICE approved this call with changes, but this tool cannot take them/,
    );
  });

  it('rejects the call with the approver reason as what the model reads', async () => {
    const refunds: Refund[] = [];
    const { agent, approvals, model } = boot('oa-reject', 'call_reject', refunds);
    const run = approvals.run(agent, 'Refund order A-12');
    const record = await asked('oa-reject:call_reject');
    await client.decide(record.id, { decision: 'reject', decidedBy: 'U0BOB', feedback: 'Already refunded' });
    await run;

    expect(refunds).toEqual([]);
    expect(callOutputs(model.requests.at(-1)!).call_reject).toBe(
      'Not run: U0BOB rejected this call. Their reason: "Already refunded"',
    );
  });

  it('resumes from the stored RunState after a crash, approved by a Slack click, without asking again', async () => {
    const refunds: Refund[] = [];
    const stop = new AbortController();
    const first = boot('oa-crash', 'call_crash', refunds, { signal: stop.signal });
    const run = first.approvals.run(first.agent, 'Refund order A-12');
    const record = await asked('oa-crash:call_crash');
    expect(await first.states.get('oa-crash')).toContain('call_crash');
    stop.abort(new Error('process died'));
    await expect(run).rejects.toThrow('process died');

    const click = blockActionsPayload({ actionId: ActionId.Approve, value: record.id, messageTs: record.message!.ts });
    expect((await g.slackPost(click)).status).toBe(200);
    const second = boot('oa-crash', 'call_crash', refunds, { states: first.states });
    const result = await second.approvals.run(second.agent, 'Refund order A-12');

    expect(refunds).toEqual([{ orderId: 'A-12', usd: 120 }]);
    expect(second.model.requests).toHaveLength(1);
    expect(result.finalOutput).toBe('Done: refunded $120 on A-12');
    expect(await first.states.get('oa-crash')).toBeUndefined();
    const posts = g.slack!.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body).includes('oa-crash:'));
    expect(posts).toHaveLength(1);
    expect((await client.get(record.id)).decision).toMatchObject({ decidedBy: 'U0ALICE', via: 'slack' });
  });
});
