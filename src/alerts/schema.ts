import { z } from 'zod';
import type { AlertInput, AlertKind, Severity } from './types.js';

/** Every alert kind, in the order the docs list them. */
export const ALERT_KINDS = [
  'failure',
  'cost_warning',
  'budget_exceeded',
  'completion',
  'custom',
] as const satisfies readonly AlertKind[];

/** Every severity, loudest first. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly Severity[];

/** Kinds that are about one task and make no sense without its id. */
const TASK_KINDS: ReadonlySet<AlertKind> = new Set(['failure', 'cost_warning', 'budget_exceeded', 'completion']);

const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const amount = z.number().finite('must be a finite number').min(0, 'must not be negative');

/**
 * An alert as the library and `POST /api/v1/alerts` accept it. Unknown fields are refused, so a
 * typo (`task` for `taskId`) is reported instead of ignored. Task kinds need `taskId`; cost kinds
 * need `currentCost` and `budget`; a custom alert needs a `title` or a `message`.
 */
export const alertInputSchema = z
  .strictObject({
    kind: z.enum(ALERT_KINDS, { error: `expected one of ${ALERT_KINDS.join(', ')}` }),
    taskId: name.optional(),
    stage: name.optional(),
    error: z.string().max(100_000, 'must be at most 100,000 characters').optional(),
    currentCost: amount.optional(),
    budget: amount.gt(0, 'must be greater than 0').optional(),
    durationSeconds: amount.optional(),
    title: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional(),
    message: z.string().max(10_000, 'must be at most 10,000 characters').optional(),
    severity: z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }).optional(),
    dedupKey: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional(),
  })
  .superRefine((input, ctx) => {
    const need = (field: keyof AlertInput, why: string) =>
      ctx.addIssue({ code: 'custom', path: [field], message: `required ${why}` });
    if (TASK_KINDS.has(input.kind) && input.taskId === undefined) need('taskId', `for a ${input.kind} alert`);
    if (input.kind === 'cost_warning' || input.kind === 'budget_exceeded') {
      if (input.currentCost === undefined) need('currentCost', `for a ${input.kind} alert`);
      if (input.budget === undefined) need('budget', `for a ${input.kind} alert`);
    }
    if (input.kind === 'custom' && input.title === undefined && (input.message ?? '').trim() === '') {
      need('title', 'for a custom alert (or a message)');
    }
  }) satisfies z.ZodType<AlertInput>;
