import type { RequestHandler } from 'express';
import { z } from 'zod';
import { ALERT_KINDS, alertInputSchema, SEVERITIES } from '../alerts/schema.js';
import { approvalIdSchema, approvalRequestSchema } from '../approvals/schema.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { historySchema } from './alerts.js';
import { cancelSchema, decisionSchema, MAX_WAIT_SECONDS, waitSchema } from './approvals.js';
import { grantIdSchema, grantListSchema, grantRevokeSchema, grantSchema } from './grants.js';
import { approvalListSchema, summaryQuerySchema, taskListQuerySchema } from './lists.js';
import { taskCancelSchema, taskIdSchema, taskStartSchema } from './tasks.js';

/** A JSON Schema or OpenAPI object, as plain JSON. */
type Json = Record<string, unknown>;

/**
 * How every schema becomes JSON Schema: draft 2020-12, the dialect of OpenAPI 3.1, describing what
 * a client sends (`input`), so objects not declared strict stay open to fields added later.
 */
export const JSON_SCHEMA_OPTIONS = { target: 'draft-2020-12', io: 'input' } as const;

const time = z.string().meta({ format: 'date-time' });
const text = z.string().nullable();
const via = z.enum(['slack', 'email', 'web', 'api', 'system', 'grant']);
const grantDuration = z.enum(['run', '1h']);
const messageRef = z.object({ channel: z.string(), ts: z.string() });
const verdict = { feedback: text, modifications: z.json().nullable() };
const decision = z.object({
  decidedBy: z.string(),
  decidedAt: time,
  via,
  ...verdict,
  original: z.json().nullish(),
  edited: z.boolean().optional(),
  granted: z.object({ id: z.string(), duration: grantDuration, expiresAt: time }).optional(),
  grantId: z.string().optional().meta({ description: 'On a decision via "grant": the grant that approved it' }),
});
const vote = z.object({ voter: z.string(), vote: z.enum(['approve', 'reject']), at: time, via, ...verdict });
const ladder = z.object({
  remindAt: time.nullable(),
  escalateAt: time.nullable(),
  onTimeout: z.enum(['timeout', 'approve', 'keep-waiting']),
  escalation: z.object({ channel: text, approvers: z.array(z.string()) }),
});

/** An approval as the API returns it (`presentApproval`): the stored record without its version. */
export const approvalSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'timeout', 'cancelled']),
  title: z.string(),
  explanation: z.string(),
  context: z.json(),
  requestedBy: text,
  taskId: text,
  approvers: z.array(z.string()),
  channel: text,
  callbackUrl: text,
  timeoutSeconds: z.number().int(),
  createdAt: time,
  expiresAt: time,
  decision: decision.nullable(),
  message: messageRef.nullable(),
  emailedAt: time.nullable(),
  contentHash: z.string().optional(),
  quorum: z
    .object({ required: z.number().int(), rejections: z.number().int(), allowSelfApproval: z.boolean() })
    .optional(),
  votes: z.array(vote).optional(),
  ladder: ladder.optional(),
  remindedAt: time.nullish(),
  escalatedAt: time.nullish(),
  modificationsSchema: z.json().nullish(),
  escalationMessage: messageRef.nullish(),
  actionKey: text.optional(),
  grantOptions: z.array(grantDuration).optional(),
}) satisfies z.ZodType<Omit<ApprovalRecord, 'version'>>;

/** The body of every error answer; a 409 about an approval also carries it as `approval`. */
export const errorSchema = z.object({
  error: z.string().meta({ description: 'A stable code: invalid_request, not_found, already_decided, …' }),
  message: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const route = z.object({ slack: z.array(z.string()), email: z.array(z.string()) });
const severity = z.enum(SEVERITIES);
const count = z.number().int();
const alertAcceptedSchema = z.object({ id: text, severity, grouped: z.boolean(), count, routedTo: route });
// Alerts and tasks are described by their main fields; the answers hold more.
const alertSchema = z.object({ id: z.string(), kind: z.enum(ALERT_KINDS), severity, taskId: text, title: z.string() });
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  store: z.enum(['ok', 'down']),
  slack: z.enum(['ok', 'down', 'off', 'invalid_auth']),
});
const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});
const taskSchema = z.object({
  id: z.string(),
  agent: z.string(),
  status: z.enum(['running', 'interrupted', 'failed', 'cancelled', 'completed']),
  stage: text,
  error: z.object({ stage: text, message: z.string() }).nullable(),
  costUsd: z.number(),
  startedAt: time,
  updatedAt: time,
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component schemas from zod. What zod puts in `$defs` (recursion) becomes components too, named once. */
class Components {
  readonly schemas: Record<string, Json> = {};
  // Any JSON value as zod writes it on its own (`#` for its recursion), to recognise it among `$defs`.
  private readonly jsonValue = JSON.stringify(convert(z.json()).body);

  /** Adds `schema` as component `name`; returns a `$ref` to it. */
  add(name: string, schema: z.ZodType): Json {
    this.schemas[name] = this.inline(name, schema);
    return ref(name);
  }

  /** The JSON Schema of `schema`, its `$defs` moved to components so every `$ref` resolves from the root. */
  inline(name: string, schema: z.ZodType): Json {
    const { body, defs } = convert(schema);
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      const alone = JSON.stringify(def).replaceAll(`"#/$defs/${id}"`, '"#"');
      names.set(id, alone === this.jsonValue ? 'JsonValue' : `${name}_${id.replace(/^_+/, '')}`);
    }
    const relink = (value: Json): Json =>
      JSON.parse(
        JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_, id: string) => `"${ref(names.get(id) ?? id).$ref}"`),
      );
    for (const [id, def] of Object.entries(defs)) this.schemas[names.get(id) ?? id] = relink(def);
    return relink(body);
  }

  /** OpenAPI parameters from the properties of a zod object schema. */
  parameters(where: 'query' | 'path', schema: z.ZodType): Json[] {
    const { properties = {}, required = [] } = this.inline('Parameter', schema) as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    const need = (name: string) => where === 'path' || required.includes(name);
    return Object.entries(properties).map(([name, schema]) => ({ name, in: where, required: need(name), schema }));
  }
}

function convert(schema: z.ZodType): { body: Json; defs: Record<string, Json> } {
  const { $schema: _dialect, $defs, ...body } = z.toJSONSchema(schema, JSON_SCHEMA_OPTIONS) as Json;
  return { body, defs: ($defs ?? {}) as Record<string, Json> };
}

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413;
const json = (schema: Json) => ({ content: { 'application/json': { schema } } });
const body = (schema: Json, required = true) => ({ requestBody: { required, ...json(schema) } });
const answer = (description: string, schema: Json) => ({ description, ...json(schema) });
const errors = (...statuses: ErrorStatus[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: `#/components/responses/E${status}` }]));
const op = (operationId: string, summary: string, responses: Json, more: Json = {}) => ({
  operationId,
  summary,
  ...more,
  responses,
});
const listOf = (key: string, items: Json) => ({ type: 'object', properties: { [key]: { type: 'array', items } } });
/** A page of a newest-first list: the items under `key`, and the cursor of the next page (null on the last). */
const pageOf = (key: string, items: Json) => ({
  type: 'object',
  required: [key, 'nextCursor'],
  properties: { [key]: { type: 'array', items }, nextCursor: { type: ['string', 'null'] } },
});
const object = { type: 'object' };
/** For routes that need no token. */
const open = { security: [] };

/** Builds the OpenAPI 3.1 document of the HTTP API from the schemas that validate its requests. */
export function openApiDocument(): Json {
  const c = new Components();
  const approval = answer('The approval as it stands', c.add('Approval', approvalSchema));
  const task = answer('The task as it stands', c.add('Task', taskSchema));
  const error = c.add('Error', errorSchema);
  const approvalId = { parameters: c.parameters('path', z.object({ id: approvalIdSchema })) };
  const taskId = { parameters: c.parameters('path', z.object({ id: taskIdSchema })) };
  const conflict = answer('Already decided, or the id was asked with other content; `approval` is the stored one', {
    allOf: [error, { type: 'object', properties: { approval: ref('Approval') } }],
  });
  const waitFor = `held up to \`wait\` seconds (at most ${MAX_WAIT_SECONDS}) until it is decided`;

  return {
    openapi: '3.1.0',
    // The API's own version: the v1 of its paths.
    info: { title: 'Gatehouse API', version: '1.0.0', description: 'Approval gates and alerts for AI agents.' },
    security: [{ bearerAuth: [] }],
    paths: {
      '/api/v1/approvals': {
        post: op(
          'requestApproval',
          'Request an approval, or get the one already asked with the same id',
          { 201: { ...approval, description: 'Created' }, 200: approval, ...errors(400, 401, 413), 409: conflict },
          body(c.add('ApprovalRequest', approvalRequestSchema)),
        ),
        get: op(
          'listApprovals',
          'Approvals, newest first, filtered by status (comma-separated), approver, task, time and text; pass `nextCursor` back as `cursor` for the next page',
          { 200: answer('A page of approvals', pageOf('approvals', ref('Approval'))), ...errors(400, 401) },
          { parameters: c.parameters('query', approvalListSchema) },
        ),
      },
      '/api/v1/summary': {
        get: op(
          'dashboardSummary',
          'The dashboard figures: tasks by state, completion time, failure rate, cost per day against budget, approvals per day and time to decision, alerts of the last 24 h by severity',
          { 200: answer('The figures', object), ...errors(400, 401) },
          { parameters: c.parameters('query', summaryQuerySchema) },
        ),
      },
      '/api/v1/approvals/{id}': {
        get: op(
          'getApproval',
          `An approval; with \`wait\`, ${waitFor}`,
          { 200: approval, ...errors(400, 401, 404) },
          {
            parameters: [...approvalId.parameters, ...c.parameters('query', waitSchema)],
          },
        ),
      },
      '/api/v1/approvals/{id}/decision': {
        post: op(
          'decideApproval',
          'Approve or reject a pending approval',
          { 200: approval, ...errors(400, 401, 403, 404, 413), 409: conflict },
          { ...approvalId, ...body(c.add('DecisionRequest', decisionSchema)) },
        ),
      },
      '/api/v1/approvals/{id}/cancel': {
        post: op(
          'cancelApproval',
          'Cancel a pending approval',
          { 200: approval, ...errors(400, 401, 404, 413), 409: conflict },
          { ...approvalId, ...body(c.add('CancelRequest', cancelSchema), false) },
        ),
      },
      '/api/v1/approvals/{id}/events': {
        get: op(
          'approvalEvents',
          'Server-Sent Events of one approval: its status first, then each change until it is decided',
          { 200: { description: 'An event stream', content: { 'text/event-stream': {} } }, ...errors(400, 401, 404) },
          approvalId,
        ),
      },
      '/api/v1/approvals/{id}/audit': {
        get: op(
          'approvalAudit',
          'The audit trail of an approval',
          { 200: answer('Entries', object), ...errors(401, 404) },
          approvalId,
        ),
      },
      '/api/v1/audit/verify': {
        get: op('verifyAudit', 'Checks the whole audit chain', {
          200: answer('The chain is intact', object),
          409: answer('The chain breaks: where and why', object),
          ...errors(401),
        }),
      },
      '/api/v1/grants': {
        get: op(
          'listGrants',
          'Standing approvals ("approve for this run / for 1 hour"), newest first, filtered by requester, task, action key and status (active, expired, revoked; comma-separated)',
          { 200: answer('Grants', listOf('grants', c.add('Grant', grantSchema))), ...errors(400, 401) },
          { parameters: c.parameters('query', grantListSchema) },
        ),
      },
      '/api/v1/grants/{id}/revoke': {
        post: op(
          'revokeGrant',
          'Revoke a grant: it approves nothing from now on; the revocation is audited on the approval that made it',
          { 200: answer('The revoked grant', ref('Grant')), ...errors(400, 401, 404, 409, 413) },
          {
            parameters: c.parameters('path', z.object({ id: grantIdSchema })),
            ...body(c.add('GrantRevoke', grantRevokeSchema), false),
          },
        ),
      },
      '/api/v1/alerts': {
        post: op(
          'sendAlert',
          'Send an alert; delivery goes on after the answer',
          { 202: answer('Stored and routed', c.add('AlertAccepted', alertAcceptedSchema)), ...errors(400, 401, 413) },
          body(c.add('AlertInput', alertInputSchema)),
        ),
        get: op(
          'listAlerts',
          'Alert history',
          { 200: answer('Stored alerts', listOf('alerts', c.add('Alert', alertSchema))), ...errors(400, 401) },
          { parameters: c.parameters('query', historySchema) },
        ),
      },
      '/api/v1/tasks': {
        post: op(
          'startTask',
          'Start a task of a named agent; it runs on after the answer',
          { 202: task, ...errors(400, 401, 404, 409, 413) },
          body(c.add('TaskStart', taskStartSchema)),
        ),
        get: op(
          'listTasks',
          'Tasks, newest first, filtered by status (comma-separated), agent, time and text; pass `nextCursor` back as `cursor`',
          { 200: answer('A page of tasks', pageOf('tasks', ref('Task'))), ...errors(400, 401) },
          { parameters: c.parameters('query', taskListQuerySchema) },
        ),
      },
      '/api/v1/tasks/{id}': {
        get: op('getTask', 'A task', { 200: task, ...errors(400, 401, 404) }, taskId),
      },
      '/api/v1/tasks/{id}/resume': {
        post: op(
          'resumeTask',
          'Resume a task from its last checkpoint',
          { 202: task, ...errors(400, 401, 404, 409) },
          taskId,
        ),
      },
      '/api/v1/tasks/{id}/cancel': {
        post: op(
          'cancelTask',
          'Cancel a running task',
          { 200: task, ...errors(400, 401, 404, 409) },
          {
            ...taskId,
            ...body(c.add('TaskCancel', taskCancelSchema), false),
          },
        ),
      },
      '/api/v1/openapi.json': {
        get: op('openApi', 'This document', { 200: answer('OpenAPI 3.1 document', object) }, open),
      },
      '/healthz': {
        get: op(
          'health',
          'Liveness, store health and Slack’s real state (ok, down, off, invalid_auth)',
          {
            200: answer('Healthy', c.add('Health', healthSchema)),
            503: answer('The store is down', ref('Health')),
          },
          open,
        ),
      },
      '/mcp': {
        post: op(
          'mcp',
          'MCP over Streamable HTTP (stateless): tools request_approval, wait_for_approval, get_approval, send_alert',
          {
            200: {
              description: 'The JSON-RPC answer, as JSON or as an event stream',
              content: { 'application/json': { schema: object }, 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errors(401),
          },
          body(object),
        ),
        get: op('mcpStream', 'Not offered: the server is stateless', {
          405: answer('Method not allowed', object),
          ...errors(401),
        }),
        delete: op('mcpEnd', 'Not offered: the server is stateless', {
          405: answer('Method not allowed', object),
          ...errors(401),
        }),
      },
      '/readyz': {
        get: op(
          'readiness',
          'Readiness: the store, and Slack when configured, each a named check',
          {
            200: answer('Ready', c.add('Readiness', readinessSchema)),
            503: answer('A check failed', ref('Readiness')),
          },
          open,
        ),
      },
      '/metrics': {
        get: op('metrics', 'Prometheus metrics', {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errors(401),
        }),
      },
    },
    components: {
      schemas: c.schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'GATEHOUSE_API_TOKEN' } },
      responses: {
        E400: answer('Bad input: `issues` names each wrong field', error),
        E401: answer('Missing or wrong bearer token', error),
        E403: answer('Not allowed, such as approving your own request', error),
        E404: answer('No such record or route', error),
        E409: answer('Conflicts with what is stored', error),
        E413: answer('The body is larger than the limit (1 MB)', error),
      },
    },
  };
}

let served: string | undefined;

/** Serves the OpenAPI document as JSON (built on first use). */
export const openApiHandler: RequestHandler = (_req, res) => {
  served ??= JSON.stringify(openApiDocument());
  res.type('application/json').send(served);
};
