import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryAlertQueries } from '../../src/alerts/queries.js';
import { IndexedApprovalQueries } from '../../src/approvals/queries.js';
import { APPROVALS_NAMESPACE, approvalIndexes } from '../../src/approvals/records.js';
import { presentApproval } from '../../src/http/approvals.js';
import { errorHandler } from '../../src/http/errors.js';
import { listRoutes } from '../../src/http/lists.js';
import { taskRoutes } from '../../src/http/tasks.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ServiceTaskQueries } from '../../src/tasks/queries.js';
import type { TaskService } from '../../src/tasks/service.js';
import { boot, deferred, type StageHooks, stageHooks, testRegistry } from '../tasks/support.js';

let server: Server;
let base: string;
let tasks: TaskService;
let hooks: StageHooks;

beforeEach(async () => {
  hooks = stageHooks();
  const store = new MemoryStore();
  ({ tasks } = boot(store, testRegistry(hooks)));
  const app = express();
  app.use(express.json({ type: () => true }));
  // The list of tasks (GET /tasks) is served by the list routes, as in the server.
  const queries = {
    approvals: new IndexedApprovalQueries(store.records(APPROVALS_NAMESPACE, approvalIndexes)),
    tasks: new ServiceTaskQueries(tasks),
    alerts: new HistoryAlertQueries({ history: async () => [] }),
  };
  app.use('/api/v1', listRoutes(queries), taskRoutes(tasks), errorHandler(pino({ level: 'silent' }), presentApproval));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, json?: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });

describe('the tasks API', () => {
  it('starts a task with 202 and shows it while it runs and once done', async () => {
    const release = deferred();
    hooks.gates.set('work', release.promise);
    const started = await post('/tasks', { agent: 'three-step', input: { n: 4 } });
    expect(started.status).toBe(202);
    const task = await started.json();
    expect(task).toMatchObject({ id: 'three-step-000001', agent: 'three-step', status: 'running', startedBy: 'api' });

    const running = await (await fetch(`${base}/tasks/${task.id}`)).json();
    expect(running).toMatchObject({ status: 'running', costUsd: 0, startedAt: expect.any(String) });

    release.resolve();
    await tasks.settled(task.id);
    const done = await (await fetch(`${base}/tasks/${task.id}`)).json();
    expect(done).toMatchObject({
      status: 'completed',
      results: { finish: { finish: 4 } },
      completedAt: expect.any(String),
    });

    const list = await (await fetch(`${base}/tasks?limit=5`)).json();
    expect(list.tasks.map((t: { id: string }) => t.id)).toEqual([task.id]);
  });

  it('answers 400 naming each wrong field', async () => {
    const bad = await post('/tasks', { agent: 'three-step', input: { n: 'abc' }, extra: 1 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues).toEqual([{ field: 'extra', message: 'is not a known field' }]);

    const badInput = await post('/tasks', { agent: 'three-step', input: { n: 'abc' } });
    expect(badInput.status).toBe(400);
    expect((await badInput.json()).issues).toEqual([{ field: 'input.n', message: 'expected a number' }]);

    const unknown = await post('/tasks', { agent: 'nope' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).issues[0]).toMatchObject({
      field: 'agent',
      message: expect.stringContaining('three-step'),
    });

    expect((await fetch(`${base}/tasks?limit=zero`)).status).toBe(400);
    expect((await fetch(`${base}/tasks/bad%20id`)).status).toBe(400);
  });

  it('answers 404 for unknown tasks and 409 for a taken id or a completed task', async () => {
    expect((await fetch(`${base}/tasks/nope-1`)).status).toBe(404);
    expect((await post('/tasks/nope-1/resume')).status).toBe(404);
    expect((await post('/tasks/nope-1/cancel')).status).toBe(404);

    const first = await post('/tasks', { agent: 'three-step', input: { n: 1 }, taskId: 'mine-1' });
    expect(first.status).toBe(202);
    await tasks.settled('mine-1');
    const again = await post('/tasks', { agent: 'three-step', input: { n: 1 }, taskId: 'mine-1' });
    expect(again.status).toBe(409);
    expect((await post('/tasks/mine-1/resume')).status).toBe(409);
    expect((await post('/tasks/mine-1/cancel')).status).toBe(409);
  });

  it('cancels and resumes a task', async () => {
    hooks.gates.set('work', new Promise(() => {}));
    const task = await (await post('/tasks', { agent: 'three-step', input: { n: 1 } })).json();
    const cancel = await post(`/tasks/${task.id}/cancel`, { cancelledBy: 'ci' });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ status: 'cancelled', error: { message: 'cancelled by ci' } });

    hooks.gates.delete('work');
    const resumed = await post(`/tasks/${task.id}/resume`);
    expect(resumed.status).toBe(202);
    expect(await resumed.json()).toMatchObject({ id: task.id, status: 'running', runs: 2 });
    expect(await tasks.settled(task.id)).toMatchObject({ status: 'completed' });
  });
});
