import { Router } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '../approvals/schema.js';
import { ValidationError } from '../errors.js';
import type { TaskService } from '../tasks/service.js';

/** A task id in a path or body. */
export const taskIdSchema = z.string().regex(/^[A-Za-z0-9._@-]{1,120}$/, 'expected 1-120 letters, digits or . _ @ -');

/** `POST /tasks` body. */
export const taskStartSchema = z.strictObject({
  agent: z.string('expected an agent name').trim().min(1, 'must not be empty'),
  input: z.record(z.string(), z.json(), 'expected an object of inputs').optional(),
  taskId: taskIdSchema.optional(),
  startedBy: z.string().trim().min(1).max(200).optional(),
  channel: z
    .string()
    .regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id like C0123ABCD')
    .optional(),
});

/** `POST /tasks/:id/cancel` body. */
export const taskCancelSchema = z.strictObject({
  cancelledBy: z.string().trim().min(1).max(200).optional(),
});

/** The agent's input issues named as body fields (`input.budget`); `agent` and `taskId` already are. */
function inBody(error: ValidationError): ValidationError {
  const own = new Set(['agent', 'taskId']);
  return new ValidationError(
    error.issues.map((issue) => ({
      field: own.has(issue.field) ? issue.field : issue.field === 'body' ? 'input' : `input.${issue.field}`,
      message: issue.message,
    })),
  );
}

const idOf = (params: Record<string, string | string[] | undefined>) =>
  parseOrThrow(z.object({ id: taskIdSchema }), params).id;

/**
 * `/tasks` routes of the API (mounted under /api/v1): start, resume, cancel and inspect tasks
 * (the list is in lists.ts). Starting and resuming answer 202 once the task's first checkpoint is stored; the task
 * runs on in the background. Coded errors become 400 / 404 / 409 in the API's error handler.
 */
export function taskRoutes(tasks: TaskService): Router {
  const router = Router();

  router.post('/tasks', async (req, res) => {
    const body = parseOrThrow(taskStartSchema, req.body);
    const task = await tasks
      .start(body.agent, body.input ?? {}, {
        startedBy: body.startedBy ?? 'api',
        channel: body.channel ?? null,
        taskId: body.taskId,
      })
      .catch((error: unknown) => {
        throw error instanceof ValidationError ? inBody(error) : error;
      });
    res.status(202).json(task);
  });

  router.get('/tasks/:id', async (req, res) => {
    res.json(await tasks.status(idOf(req.params)));
  });

  router.post('/tasks/:id/resume', async (req, res) => {
    res.status(202).json(await tasks.resume(idOf(req.params)));
  });

  router.post('/tasks/:id/cancel', async (req, res) => {
    const id = idOf(req.params);
    const body = parseOrThrow(taskCancelSchema, req.body ?? {});
    res.json(await tasks.cancel(id, { by: body.cancelledBy ?? 'api' }));
  });

  return router;
}
