import { z } from 'zod';
import { type FieldIssue, ValidationError } from '../errors.js';
import { readableSchema } from './modifications.js';

/** Caller-chosen ids: safe in URLs, Slack button values and store keys. */
export const approvalIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9._:@-]+$/, 'may hold only letters, digits and . _ : @ -');

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id like U0123ABCD');
/** An approver: a Slack user, or a Slack user group (`S…`) whose members are resolved at decision time. */
const approverId = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id like U0123ABCD or a user-group id like S0123ABCD');

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD');
const percent = z.number().gt(0, 'must be above 0').lt(100, 'must be below 100');

/** How deep JSON from callers may nest: deeper data is refused at the edge, never stored. */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON value, counted without recursion (so no input can exhaust the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_JSON_DEPTH) return depth;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The fields of `input` (or the value itself) nesting deeper than MAX_JSON_DEPTH. */
function deeperThanAllowed(input: unknown): FieldIssue[] {
  const message = `must not nest deeper than ${MAX_JSON_DEPTH} levels`;
  if (typeof input !== 'object' || input === null) return [];
  if (Array.isArray(input)) return jsonDepth(input) > MAX_JSON_DEPTH + 1 ? [{ field: 'body', message }] : [];
  return Object.entries(input).flatMap(([field, value]) =>
    jsonDepth(value) > MAX_JSON_DEPTH ? [{ field, message }] : [],
  );
}

/** The longest deadline a request may ask for: 30 days. */
export const MAX_TIMEOUT_SECONDS = 30 * 24 * 3600;

/**
 * An approval request, as the library and the HTTP API accept it. Unknown fields are refused so
 * that a typo (`timeout` for `timeoutSeconds`) is reported instead of silently ignored. Title,
 * explanation and context are not length-limited here: Slack rendering truncates them.
 */
export const approvalRequestSchema = z.strictObject({
  id: approvalIdSchema.optional(),
  title: z.string().trim().min(1, 'must not be empty'),
  explanation: z.string().optional(),
  context: z.json().optional(),
  requestedBy: z.string().trim().min(1).max(200).optional(),
  taskId: z.string().trim().min(1).max(200).optional(),
  // An empty list is refused: "nobody" is never what a caller means, and "the defaults" would widen silently.
  approvers: z
    .array(approverId)
    .min(1, 'must name at least one approver; leave the field out to use the configured APPROVERS')
    .max(100)
    .optional(),
  channel: channelId.optional(),
  timeoutSeconds: z.number().int('must be a whole number of seconds').min(1).max(MAX_TIMEOUT_SECONDS).optional(),
  callbackUrl: z.url({ protocol: /^https?$/ }).optional(),
  requiredApprovals: z.number().int().min(1).max(20).optional(),
  requiredRejections: z.number().int().min(1).max(20).optional(),
  approverGroups: z
    .record(z.string().trim().min(1).max(80), z.array(slackUserId).min(1).max(100))
    .refine((groups) => Object.keys(groups).length > 0, 'must name at least one group')
    .optional(),
  allowSelfApproval: z.boolean().optional(),
  remindAtPercent: percent.nullable().optional(),
  escalateAtPercent: percent.nullable().optional(),
  escalation: z
    .strictObject({
      channel: channelId.optional(),
      approvers: z.array(approverId).max(100).optional(),
    })
    .optional(),
  onTimeout: z.enum(['timeout', 'approve', 'keep-waiting']).optional(),
  actionKey: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  grantOptions: z
    .array(z.enum(['run', '1h'], 'expected "run" or "1h"'))
    .max(2)
    .refine((options) => new Set(options).size === options.length, 'must not repeat an option')
    .optional(),
  modificationsSchema: z
    .json()
    .superRefine((schema, ctx) => {
      const problem = readableSchema(schema);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

/** Turns zod issues into field-named issues (`approvers.1: expected a Slack user id …`), one per unknown key. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...at, key].join('.'), message: 'is not a known field' }));
    }
    return [{ field: at.length > 0 ? at.join('.') : 'body', message: issue.message }];
  });
}

/** Validates with `schema` or throws a ValidationError naming every wrong field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  // Checked before zod walks the value: its recursion would overflow the stack on deep input.
  const tooDeep = deeperThanAllowed(input);
  if (tooDeep.length > 0) throw new ValidationError(tooDeep);
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error));
  return result.data;
}
