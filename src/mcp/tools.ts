import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type {
  AlertInput,
  AlertReceipt,
  Approval,
  ApprovalRequestInput,
  CallOptions,
  WaitOptions,
} from '../client/index.js';
import { GatehouseError, ValidationError } from '../errors.js';

/** What the tools need of Gatehouse: the typed client (stdio) or the gate in the server (/mcp). */
export interface ApprovalApi {
  create(request: ApprovalRequestInput, options?: CallOptions): Promise<Approval>;
  get(id: string, options?: CallOptions): Promise<Approval>;
  wait(id: string, options?: WaitOptions): Promise<Approval>;
  alert(alert: AlertInput, options?: CallOptions): Promise<AlertReceipt>;
}

/** How long a tool call waits by default: under MCP clients' usual 60 s request timeout. */
export const DEFAULT_WAIT_SECONDS = 45;
/** The longest a tool call waits; longer waits are repeated calls of wait_for_approval. */
export const MAX_WAIT_SECONDS = 55;

const approvalId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@-]+$/)
  .describe('Your id for the request (letters, digits, . _ : @ -): the same id asks the same question again');
const waitSeconds = z
  .number()
  .min(0)
  .max(MAX_WAIT_SECONDS)
  .optional()
  .describe(`How long to wait for the decision in this call, in seconds (default ${DEFAULT_WAIT_SECONDS})`);
const json = z.record(z.string(), z.json());

/** The decision as structured content: what an agent needs to go on. */
const decisionShape = {
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'timeout', 'cancelled']),
  approved: z.boolean().describe('True only when approved: go ahead (with the modifications, if any)'),
  title: z.string(),
  feedback: z.string().nullable().describe('What the approver wrote'),
  modifications: z.json().nullable().describe('The values the approver changed: use them instead of yours'),
  edited: z.boolean().describe('True when the approver changed something'),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  via: z.string().nullable(),
  expiresAt: z.string().describe('When the request times out if nobody decides'),
};

const receiptShape = {
  id: z.string().nullable(),
  severity: z.string(),
  grouped: z.boolean(),
  count: z.number(),
  routedTo: z.object({ slack: z.array(z.string()), email: z.array(z.string()) }),
  suppressed: z.string().optional(),
};

/** The structured decision of an approval. */
export function decisionOf(approval: Approval) {
  const { decision } = approval;
  return {
    id: approval.id,
    status: approval.status,
    approved: approval.status === 'approved',
    title: approval.title,
    feedback: decision?.feedback ?? null,
    modifications: decision?.modifications ?? null,
    edited: decision?.edited ?? decision?.modifications != null,
    decidedBy: decision?.decidedBy ?? null,
    decidedAt: decision?.decidedAt ?? null,
    via: decision?.via ?? null,
    expiresAt: approval.expiresAt,
  };
}

/** One line for the model: where the request stands and what to do next. */
export function summaryOf(approval: Approval): string {
  const { decision } = approval;
  const by = decision ? ` by ${decision.decidedBy} via ${decision.via}` : '';
  const note = decision?.feedback ? `: ${JSON.stringify(decision.feedback)}` : '';
  switch (approval.status) {
    case 'pending':
      return `pending: "${approval.title}" (${approval.id}) is not decided yet; call wait_for_approval with id "${approval.id}" (open until ${approval.expiresAt})`;
    case 'approved':
      return `approved${by}${decision?.modifications != null ? ', with modifications: use them' : ''}${note}`;
    case 'timeout':
      return `timed out: nobody decided on ${approval.id} by ${approval.expiresAt}; do not go ahead`;
    default:
      return `${approval.status}${by}${note}; do not go ahead`;
  }
}

const approvalResult = (approval: Approval): CallToolResult => ({
  content: [{ type: 'text', text: summaryOf(approval) }],
  structuredContent: decisionOf(approval),
});

/** A tool error the model can act on: the fields that were wrong, or what failed. */
function errorResult(error: unknown): CallToolResult {
  const text =
    error instanceof ValidationError
      ? `invalid arguments: ${error.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`
      : error instanceof GatehouseError
        ? error.message
        : `Gatehouse failed: ${error instanceof Error ? error.message : String(error)}`;
  return { isError: true, content: [{ type: 'text', text }] };
}

const guarded =
  <A>(run: (args: A, signal: AbortSignal) => Promise<CallToolResult>) =>
  async (args: A, extra: { signal: AbortSignal }) =>
    run(args, extra.signal).catch(errorResult);

/** The approval as it stands after waiting up to `seconds` (0: not at all). */
async function settle(api: ApprovalApi, approval: Approval, seconds: number, signal: AbortSignal): Promise<Approval> {
  if (approval.status !== 'pending' || seconds <= 0) return approval;
  return api.wait(approval.id, { timeoutSeconds: seconds, signal });
}

/**
 * An MCP server with the tools `request_approval`, `wait_for_approval`, `get_approval` and
 * `send_alert`, answered through `api`. Approvals are asked of Gatehouse's approvers (Slack,
 * e-mail, web), never of the MCP client's user: no elicitation.
 */
export function createMcpServer(api: ApprovalApi, info = { name: 'gatehouse', version: '0.1.0' }): McpServer {
  const server = new McpServer(info, {
    instructions:
      'Ask people for approval before costly or irreversible actions with request_approval, and go ahead only when the result says approved (using any modifications). A pending result means: call wait_for_approval with the same id.',
  });

  server.registerTool(
    'request_approval',
    {
      title: 'Request approval',
      description: `Asks Gatehouse's approvers (in Slack) to approve an action and waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}) for the decision. Idempotent by id: asking again with the same id returns the same request and, once decided, its decision. If the result is pending, call wait_for_approval with the id.`,
      inputSchema: {
        id: approvalId,
        title: z.string().min(1).describe('What is to be approved, e.g. "Launch the $50k campaign"'),
        explanation: z.string().optional().describe('Why, in a sentence or two'),
        context: json.optional().describe('Details shown to approvers as fields; "Approve with changes" edits them'),
        modificationsSchema: json.optional().describe('JSON Schema of what approvers may change (a form when flat)'),
        approvers: z
          .array(z.string())
          .optional()
          .describe('Slack user ids who may decide (default: the configured ones)'),
        channel: z.string().optional().describe('Slack channel id to ask in'),
        timeoutSeconds: z.number().int().min(1).optional().describe('When the request itself times out'),
        requestedBy: z.string().optional(),
        taskId: z.string().optional(),
        waitSeconds,
      },
      outputSchema: decisionShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async ({ waitSeconds: seconds, ...request }, signal) => {
      const approval = await api.create(request as ApprovalRequestInput, { signal });
      return approvalResult(await settle(api, approval, seconds ?? DEFAULT_WAIT_SECONDS, signal));
    }),
  );

  server.registerTool(
    'wait_for_approval',
    {
      title: 'Wait for an approval',
      description: `Waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}) for the decision on a request made with request_approval. Call it again while the result is pending.`,
      inputSchema: { id: approvalId, waitSeconds },
      outputSchema: decisionShape,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async ({ id, waitSeconds: seconds }, signal) =>
      approvalResult(await settle(api, await api.get(id, { signal }), seconds ?? DEFAULT_WAIT_SECONDS, signal)),
    ),
  );

  server.registerTool(
    'get_approval',
    {
      title: 'Get an approval',
      description: 'Where a request made with request_approval stands, without waiting.',
      inputSchema: { id: approvalId },
      outputSchema: decisionShape,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
    },
    guarded(async ({ id }, signal) => approvalResult(await api.get(id, { signal }))),
  );

  server.registerTool(
    'send_alert',
    {
      title: 'Send an alert',
      description:
        'Sends a failure, cost or completion alert (or a custom one) to the team; Gatehouse routes it by severity and groups repeats.',
      inputSchema: {
        kind: z.enum(['failure', 'cost_warning', 'budget_exceeded', 'completion', 'custom']),
        taskId: z.string().optional().describe('The task it is about (required for all kinds but custom)'),
        stage: z.string().optional(),
        error: z.string().optional().describe('The error (failure); secrets in it are masked'),
        currentCost: z.number().optional().describe('Money spent so far (cost_warning, budget_exceeded)'),
        budget: z.number().optional(),
        durationSeconds: z.number().optional().describe('How long the task ran (completion)'),
        title: z.string().optional(),
        message: z.string().optional(),
        severity: z.enum(['critical', 'warning', 'info']).optional(),
        dedupKey: z.string().optional().describe('Alerts with the same key within the window are grouped'),
      },
      outputSchema: receiptShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    guarded(async (alert, signal) => {
      const receipt = await api.alert(alert as AlertInput, { signal });
      const where =
        [...receipt.routedTo.slack, ...receipt.routedTo.email].join(', ') || 'nowhere (no route configured)';
      const text = receipt.suppressed
        ? `alert not sent (${receipt.severity}): ${receipt.suppressed}`
        : `alert sent (${receipt.severity}) to ${where}${receipt.grouped ? `, grouped (${receipt.count} in all)` : ''}`;
      return { content: [{ type: 'text', text }], structuredContent: { ...receipt } };
    }),
  );

  return server;
}
