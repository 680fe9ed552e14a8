import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { ActionId, InputId, ViewId } from '../../src/slack/blocks/ids.js';
import { eventually } from '../support/eventually.js';
import { API_TOKEN, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, viewSubmissionPayload } from '../support/slack-requests.js';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const TOOLS = ['get_approval', 'request_approval', 'send_alert', 'wait_for_approval'];

let g: TestGatehouse;
beforeAll(async () => {
  g = await startGatehouse();
});
afterAll(async () => {
  await g.stop();
});

/** The approval once its Slack message is posted. */
const posted = (id: string) =>
  eventually(
    () => g.gatehouse.gate.get(id).catch(() => null),
    (r) => r?.message != null,
    15_000,
  ) as Promise<ApprovalRecord>;

const click = (actionId: string, record: ApprovalRecord) =>
  g.slackPost(blockActionsPayload({ actionId, value: record.id, userId: 'U0ALICE', messageTs: record.message!.ts }));

const text = (result: object) => ((result as { content?: Array<{ text?: string }> }).content ?? [])[0]?.text ?? '';

describe('gatehouse mcp over stdio, driven by the SDK’s own client', () => {
  let client: Client;
  beforeAll(async () => {
    client = new Client({ name: 'test-agent', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp'],
        env: { PATH: process.env.PATH ?? '', GATEHOUSE_URL: g.url, GATEHOUSE_API_TOKEN: API_TOKEN },
        stderr: 'pipe',
      }),
    );
  }, 30_000);
  afterAll(async () => {
    await client.close();
  });

  it('lists the four tools, each with input and output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.annotations).toBeDefined();
    }
    const request = tools.find((t) => t.name === 'request_approval')!;
    expect(request.inputSchema.required).toEqual(expect.arrayContaining(['id', 'title']));
    expect(request.annotations).toMatchObject({ idempotentHint: true, readOnlyHint: false });
    expect(tools.find((t) => t.name === 'get_approval')?.annotations?.readOnlyHint).toBe(true);
  });

  it('request_approval waits for the decision made by a click in Slack', async () => {
    const id = 'mcp-stdio-approve';
    const call = client.callTool({
      name: 'request_approval',
      arguments: { id, title: 'Launch the campaign', context: { budget: 50000 }, waitSeconds: 30 },
    });
    await click(ActionId.Approve, await posted(id));
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      id,
      status: 'approved',
      approved: true,
      decidedBy: 'U0ALICE',
      via: 'slack',
      modifications: null,
    });
    expect(text(result)).toBe('approved by U0ALICE via slack');
  });

  it('answers pending with the id, and wait_for_approval then gets the rejection and its reason', async () => {
    const id = 'mcp-stdio-reject';
    const first = await client.callTool({
      name: 'request_approval',
      arguments: { id, title: 'Drop the table', waitSeconds: 0 },
    });
    expect(first.structuredContent).toMatchObject({ id, status: 'pending', approved: false });
    expect(text(first)).toContain(`call wait_for_approval with id "${id}"`);

    const waiting = client.callTool({ name: 'wait_for_approval', arguments: { id, waitSeconds: 30 } });
    const record = await posted(id);
    await click(ActionId.Reject, record);
    const opened = await g.slack!.waitFor('views.open', (c) => c.body.view.private_metadata.includes(id));
    await g.slackPost(
      viewSubmissionPayload({
        callbackId: ViewId.Reject,
        privateMetadata: opened.body.view.private_metadata,
        values: { [InputId.Reason.block]: { [InputId.Reason.action]: 'Not without a backup' } },
      }),
    );
    const result = await waiting;
    expect(result.structuredContent).toMatchObject({
      status: 'rejected',
      approved: false,
      feedback: 'Not without a backup',
    });
    expect(text(result)).toBe('rejected by U0ALICE via slack: "Not without a backup"; do not go ahead');

    const again = await client.callTool({ name: 'get_approval', arguments: { id } });
    expect(again.structuredContent).toMatchObject({ status: 'rejected' });
  });

  it('sends an alert, and names the wrong field of a bad request', async () => {
    const alert = await client.callTool({
      name: 'send_alert',
      arguments: { kind: 'failure', taskId: 'task-9', stage: 'deploy', error: 'boom' },
    });
    expect(alert.structuredContent).toMatchObject({ severity: 'critical', grouped: false, count: 1 });

    const bad = await client.callTool({
      name: 'request_approval',
      arguments: { id: 'mcp-bad', title: 'x', approvers: ['alice'], waitSeconds: 0 },
    });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('approvers.0: expected a Slack user id');
  });
});

describe('/mcp over Streamable HTTP, behind the API token', () => {
  it('refuses a request without the token', async () => {
    const res = await fetch(`${g.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect((await fetch(`${g.url}/mcp`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(405);
  });

  it('serves the same tools to the SDK’s client, and a decision made in Slack reaches it', async () => {
    const client = new Client({ name: 'remote-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${g.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${API_TOKEN}` } },
      }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const id = 'mcp-http-changes';
      const call = client.callTool({
        name: 'request_approval',
        arguments: { id, title: 'Raise the budget', context: { budget: 50000 }, waitSeconds: 30 },
      });
      const record = await posted(id);
      await click(ActionId.ApproveWithChanges, record);
      const opened = await g.slack!.waitFor('views.open', (c) => c.body.view.private_metadata.includes(id));
      await g.slackPost(
        viewSubmissionPayload({
          callbackId: ViewId.Changes,
          privateMetadata: opened.body.view.private_metadata,
          values: { [InputId.Modifications.block]: { [InputId.Modifications.action]: '{"budget": 20000}' } },
        }),
      );
      const result = await call;
      expect(result.structuredContent).toMatchObject({
        status: 'approved',
        approved: true,
        modifications: { budget: 20000 },
        edited: true,
      });
      expect(text(result)).toBe('approved by U0ALICE via slack, with modifications: use them');
    } finally {
      await client.close();
    }
  });
});
