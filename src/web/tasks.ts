import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { TaskQueries } from '../tasks/queries.js';
import type { TaskView } from '../tasks/types.js';
import { formatTime } from './approval-view.js';
import { duration } from './dashboard.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, sendMessage, sendPage } from './layout.js';
import { LOCAL_OPERATOR_ID, type Principal, type Visit, visitOf } from './session.js';

/** What the task pages need of the task service and the agent registry. */
export interface WebTasks {
  start(agent: string, input: unknown, options: { startedBy: string }): Promise<TaskView>;
  resume(taskId: string): Promise<TaskView>;
  cancel(taskId: string, options: { by?: string }): Promise<TaskView>;
  status(taskId: string): Promise<TaskView>;
}

/** Options of the task pages. */
export interface TaskPagesOptions {
  tasks: WebTasks;
  queries: TaskQueries;
  agents: () => Array<{ name: string; description: string }>;
}

const TASK_ID = /^[A-Za-z0-9._@-]{1,120}$/;
const startSchema = z.object({
  agent: z.string().trim().min(1, 'choose an agent'),
  input: z.string().max(100_000).optional(),
});

const who = (principal: Principal) => (principal.kind === 'local' ? LOCAL_OPERATOR_ID : (principal.userId ?? 'web'));

function actions(task: TaskView, visit: Visit): SafeHtml {
  const resumable = task.status === 'failed' || task.status === 'cancelled' || task.status === 'interrupted';
  const form = (action: string, label: string, kind: string) =>
    html`<form method="post" action="/tasks/${task.id}/${action}" class="inline">${csrfField(visit)}<button type="submit" class="${kind}" aria-describedby="task-${task.id}">${label}</button></form>`;
  return html`${resumable ? form('resume', 'Resume', 'primary') : ''}${task.status === 'running' ? form('cancel', 'Cancel', 'reject') : ''}`;
}

function stages(task: TaskView): SafeHtml {
  return html`<ol class="stages">${task.stages.map(
    (stage) => html`<li class="stage ${stage.state}"><span class="name">${stage.name}</span>
      <span class="state">${stage.state}</span>${stage.durationMs !== null ? html` <span class="muted">${duration(stage.durationMs / 1000)}</span>` : ''}</li>`,
  )}</ol>`;
}

/** The live part of a task's page: refreshed by the page script while the task runs. */
export function taskPanel(task: TaskView, visit: Visit): SafeHtml {
  return html`<div id="task-panel" data-task="${task.id}" data-status="${task.status}">
    <p><span class="status ${task.status}">${task.status}</span>${task.stage ? html` at <strong>${task.stage}</strong>` : ''}</p>
    ${task.waitingFor ? html`<p class="notice">Waiting for approval: <a href="/approvals/${task.waitingFor.approvalId}">${task.waitingFor.title}</a></p>` : ''}
    ${task.error ? html`<p class="error">${task.error.stage ? `${task.error.stage}: ` : ''}${task.error.message}</p>` : ''}
    ${stages(task)}
    <ul class="meta">
      <li><span class="label">Agent</span> ${task.agent}</li>
      <li><span class="label">Started</span> ${formatTime(task.startedAt)} by ${task.startedBy}</li>
      <li><span class="label">Cost</span> $${task.costUsd.toFixed(4)}${task.budgetUsd !== null ? ` of $${task.budgetUsd.toFixed(2)}` : ''}</li>
      <li><span class="label">Running time</span> ${duration(task.durationSeconds)} over ${task.runs} run(s)</li>
    </ul>
    <div class="buttons">${actions(task, visit)}</div>
  </div>`;
}

/** Tasks: start one (agent and input), resume, cancel, and watch one's progress. */
export function taskPages({ tasks, queries, agents }: TaskPagesOptions): Router {
  const router = Router();
  const idOf = (req: Request) => {
    const id = String(req.params.id);
    if (!TASK_ID.test(id)) throw new NotFoundError('task', id);
    return id;
  };

  const listPage = async (
    res: Response,
    status = 200,
    problem?: string,
    posted?: { agent?: string; input?: string },
  ) => {
    const visit = visitOf(res);
    const page = await queries.list({ limit: 50 });
    const options = agents().map(
      (agent) =>
        html`<option value="${agent.name}"${posted?.agent === agent.name ? html` selected` : ''}>${agent.name}${agent.description ? ` — ${agent.description}` : ''}</option>`,
    );
    const rows = page.items.map(
      (task) => html`<tr><td><a href="/tasks/${task.id}" id="task-${task.id}">${task.id}</a></td><td>${task.agent}</td>
        <td><span class="status ${task.status}">${task.status}</span></td><td>${task.stage ?? ''}</td>
        <td>$${task.costUsd.toFixed(2)}</td><td>${formatTime(task.startedAt)}</td><td>${actions(task, visit)}</td></tr>`,
    );
    const body = html`<section class="card" aria-labelledby="start-heading"><h2 id="start-heading">Start a task</h2>
        ${problem ? html`<p class="error" role="alert" id="start-error">${problem}</p>` : ''}
        <form method="post" action="/tasks" class="start">${csrfField(visit)}
          <div class="field"><label for="agent">Agent</label><select id="agent" name="agent" required>${options}</select></div>
          <div class="field"><label for="input">Input (a JSON object)</label>
          <textarea id="input" name="input" rows="4" class="code" spellcheck="false" placeholder='{"product": "…"}'${problem ? html` aria-describedby="start-error"` : ''}>${posted?.input ?? ''}</textarea></div>
          <div class="buttons"><button type="submit" class="primary">Start task</button></div>
        </form></section>
      <h2>Recent tasks</h2>
      ${rows.length > 0 ? html`<div class="table-wrap"><table><thead><tr><th scope="col">Task</th><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Stage</th><th scope="col">Cost</th><th scope="col">Started</th><th scope="col">Actions</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p class="empty muted">No task has run yet.</p>`}`;
    sendPage(res, 'Tasks', body, { path: '/tasks', status });
  };

  router.get('/tasks', async (_req, res) => listPage(res));

  router.post('/tasks', async (req, res) => {
    const principal = visitOf(res).principal as Principal;
    const parsed = startSchema.safeParse(req.body);
    const posted = req.body as { agent?: string; input?: string };
    if (!parsed.success) return listPage(res, 400, parsed.error.issues[0]?.message ?? 'check the form', posted);
    let input: unknown = {};
    if (parsed.data.input?.trim()) {
      try {
        input = JSON.parse(parsed.data.input);
      } catch {
        return listPage(res, 400, 'The input is not valid JSON: write an object like {"key": "value"}.', posted);
      }
    }
    try {
      const task = await tasks.start(parsed.data.agent, input, { startedBy: who(principal) });
      res.redirect(303, `/tasks/${encodeURIComponent(task.id)}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return listPage(res, 400, `The task was not started: ${error.message}`, posted);
    }
  });

  router.get('/tasks/:id', async (req, res) => {
    const task = await tasks.status(idOf(req));
    sendPage(res, `Task ${task.id}`, taskPanel(task, visitOf(res)), { path: '/tasks', scripts: ['/static/task.js'] });
  });

  // The panel alone, for the page script that follows a running task.
  router.get('/tasks/:id/panel', async (req, res) => {
    const task = await tasks.status(idOf(req));
    res.type('html').send(taskPanel(task, visitOf(res)).value);
  });

  for (const action of ['resume', 'cancel'] as const) {
    router.post(`/tasks/:id/${action}`, async (req, res) => {
      const id = idOf(req);
      const principal = visitOf(res).principal as Principal;
      try {
        if (action === 'resume') await tasks.resume(id);
        else await tasks.cancel(id, { by: who(principal) });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        return sendMessage(res, 409, `Could not ${action} the task`, error.message, '/tasks');
      }
      res.redirect(303, `/tasks/${encodeURIComponent(id)}`);
    });
  }

  return router;
}
