import type { TaskView } from '../../tasks/types.js';
import { slackDate } from './approval-message.js';
import { mrkdwnText } from './limits.js';
import { costLine, stageLine, statusLine, taskTitle } from './task-progress.js';

/** What `/agent` accepts, one line per subcommand. */
export const AGENT_USAGE = [
  '`/agent start <agent> [key=value …]` start a task',
  '`/agent resume <task-id>` continue a stopped task from its last stage',
  '`/agent status [task-id]` one task, or the running ones',
  '`/agent list` recent tasks',
  '`/agent cancel <task-id>` stop a task',
  '`/agent help` this help',
].join('\n');

/** Ephemeral answer to a command that could not be read: what is wrong, then the usage. */
export function usageText(problem: string): string {
  return `${mrkdwnText(problem, 1000)}\n\n*Usage*\n${AGENT_USAGE}`;
}

/** `/agent help`: the usage and the agents that can be started. */
export function helpText(agents: ReadonlyArray<{ name: string; description: string }>): string {
  return `*Usage*\n${AGENT_USAGE}\n\n*Agents*\n${agentList(agents)}`;
}

/** Ephemeral answer to `/agent start` with an agent nobody registered. */
export function unknownAgentText(name: string, agents: ReadonlyArray<{ name: string; description: string }>): string {
  return `There is no agent called \`${mrkdwnText(name, 100)}\`. Known agents:\n${agentList(agents)}`;
}

/** `/agent status <task-id>`: the task in a few lines. */
export function taskStatusText(task: TaskView): string {
  return [
    taskTitle(task),
    stageLine(task.stages),
    statusLine(task),
    `${costLine(task)} · started ${slackDate(task.startedAt, '{date_short_pretty} {time}')}`,
  ].join('\n');
}

/** `/agent list` and `/agent status` without an id: one line per task. */
export function taskListText(tasks: readonly TaskView[], empty = 'No tasks yet.'): string {
  if (tasks.length === 0) return empty;
  return tasks
    .map((task) => {
      const stage = task.stage ? ` at ${mrkdwnText(task.stage, 60)}` : '';
      return `• ${taskTitle(task)} · ${task.status}${stage} · ${costLine(task)}`;
    })
    .join('\n');
}

function agentList(agents: ReadonlyArray<{ name: string; description: string }>): string {
  if (agents.length === 0) return '_none registered_';
  return agents.map((a) => `• \`${mrkdwnText(a.name, 100)}\` ${mrkdwnText(a.description, 300)}`).join('\n');
}
