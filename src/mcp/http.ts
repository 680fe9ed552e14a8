import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AlertManager } from '../alerts/manager.js';
import type { ApprovalGate } from '../approvals/gate.js';
import type { ApprovalRequest } from '../approvals/types.js';
import { alertReceipt } from '../http/alerts.js';
import { presentApproval } from '../http/approvals.js';
import { requireToken } from '../http/auth.js';
import { type ApprovalApi, createMcpServer } from './tools.js';

/** What `/mcp` needs from the server. */
export interface McpRoutesOptions {
  gate: ApprovalGate;
  alerts: AlertManager;
  apiToken: string | undefined;
  logger: Logger;
  bodyLimit: string;
  /** Aborted when the server stops: waiting tool calls answer with the approval as it stands. */
  shutdown: AbortSignal;
}

/** The tools' view of the gate in this process: what the HTTP API does, without a round trip to itself. */
export function gateApi(gate: ApprovalGate, alerts: AlertManager, shutdown: AbortSignal): ApprovalApi {
  return {
    create: async (request) => presentApproval((await gate.submit(request as ApprovalRequest)).record),
    get: async (id) => presentApproval(await gate.get(id)),
    async wait(id, { timeoutSeconds, signal } = {}) {
      const stop = AbortSignal.any(signal ? [shutdown, signal] : [shutdown]);
      try {
        const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
        return presentApproval(await gate.waitForDecision(id, { timeoutMs, signal: stop }));
      } catch (error) {
        if (!stop.aborted) throw error;
        return presentApproval(await gate.get(id));
      }
    },
    alert: async (input) => alertReceipt(await alerts.send(input)),
  };
}

/**
 * Mounts `/mcp`: the MCP tools over Streamable HTTP, behind the API token. Stateless: each POST
 * gets its own server and transport (nothing to lose on a restart, any instance can answer); GET
 * and DELETE, which only sessions use, are refused with 405.
 */
export function mountMcp(
  app: Express,
  { gate, alerts, apiToken, logger, bodyLimit, shutdown }: McpRoutesOptions,
): void {
  const api = gateApi(gate, alerts, shutdown);
  const guard = requireToken(apiToken);

  app.post('/mcp', guard, express.json({ limit: bodyLimit }), async (req, res) => {
    const server = createMcpServer(api);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      transport.close().catch(() => {});
      server.close().catch(() => {});
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      logger.error({ err: error }, 'MCP request failed');
      if (!res.headersSent) {
        res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
      }
    }
  });

  const notAllowed: RequestHandler = (_req, res) => {
    res
      .status(405)
      .set('Allow', 'POST')
      .json({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed: this server is stateless' },
        id: null,
      });
  };
  app.get('/mcp', guard, notAllowed);
  app.delete('/mcp', guard, notAllowed);
}
