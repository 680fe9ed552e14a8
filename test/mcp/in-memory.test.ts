import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateApi } from '../../src/mcp/http.js';
import { createMcpServer, DEFAULT_WAIT_SECONDS } from '../../src/mcp/tools.js';
import { eventually } from '../support/eventually.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';

let g: TestGatehouse;
let client: Client;
const clock = new ManualClock();
const shutdown = new AbortController();

beforeAll(async () => {
  g = await startGatehouse({ slack: false, clock });
  const server = createMcpServer(gateApi(g.gatehouse.gate, g.gatehouse.alerts, shutdown.signal));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  client = new Client({ name: 'in-memory', version: '1.0.0' });
  await client.connect(clientSide);
});
afterAll(async () => {
  await client.close();
  await g.stop();
});

describe('the MCP tools on the gate in the process', () => {
  it(`request_approval waits ${DEFAULT_WAIT_SECONDS} s by default, then answers pending with the id`, async () => {
    const call = client.callTool({ name: 'request_approval', arguments: { id: 'mem-1', title: 'Rotate keys' } });
    let settled = false;
    void call.then(() => (settled = true));
    await eventually(
      () => g.gatehouse.gate.get('mem-1').catch(() => null),
      (r) => r !== null,
    );
    // Seconds of the gate's clock until the tool answers (real I/O gets a moment after each step).
    let elapsed = 0;
    while (!settled && elapsed < 60) {
      await clock.advance(1000);
      elapsed += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(elapsed).toBeGreaterThanOrEqual(DEFAULT_WAIT_SECONDS);
    expect(elapsed).toBeLessThan(DEFAULT_WAIT_SECONDS + 5);
    const result = await call;
    expect(result.structuredContent).toMatchObject({ id: 'mem-1', status: 'pending', approved: false });
  });

  it('asking again with the same id after the decision returns that decision at once', async () => {
    await g.gatehouse.gate.decide('mem-1', {
      decision: 'approve',
      decidedBy: 'U0BOB',
      via: 'api',
      modifications: { keys: ['a'] },
    });
    const again = await client.callTool({ name: 'request_approval', arguments: { id: 'mem-1', title: 'Rotate keys' } });
    expect(again.structuredContent).toMatchObject({
      status: 'approved',
      approved: true,
      decidedBy: 'U0BOB',
      modifications: { keys: ['a'] },
    });
    const stale = await client.callTool({
      name: 'request_approval',
      arguments: { id: 'mem-1', title: 'Rotate all keys' },
    });
    expect(stale.isError).toBe(true);
  });
});
