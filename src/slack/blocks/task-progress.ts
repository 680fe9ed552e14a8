import type { types } from '@slack/bolt';
import { formatUsd } from '../../alerts/render.js';
import type { StageView, TaskState, TaskView } from '../../tasks/types.js';
import { userRef } from './approval-message.js';
import { inlineCode } from './context-fields.js';
import { BlockKitLimits, mrkdwnText, truncateMrkdwn } from './limits.js';

type KnownBlock = types.KnownBlock;

/** A task's progress message: `text` for notifications, `blocks` shown. */
export interface TaskMessage {
  text: string;
  blocks: KnownBlock[];
}

/** `block_id`s of the progress message. */
export const TaskBlockId = {
  Title: 'gatehouse_task_title',
  Stages: 'gatehouse_task_stages',
  Status: 'gatehouse_task_status',
} as const;

const STAGE_ICON: Record<StageView['state'], string> = {
  done: '✅',
  running: '⏳',
  failed: '❌',
  cancelled: '🚫',
  interrupted: '⏸️',
  pending: '○',
};

const STATUS_WORD: Record<TaskState, string> = {
  running: 'running',
  interrupted: 'interrupted',
  failed: 'failed',
  cancelled: 'cancelled',
  completed: 'completed',
};

const MAX_ERROR = 500;
const MAX_TITLE = 300;
const MAX_ID = 150;

/** The progress message of a task: what it is, its stages as they pass, cost so far, and its status. */
export function taskProgressMessage(task: TaskView): TaskMessage {
  return {
    text: `${task.agent} ${task.id}: ${STATUS_WORD[task.status]}`,
    blocks: [
      section(TaskBlockId.Title, `${taskTitle(task)} · started by ${userRef(task.startedBy)}`),
      section(TaskBlockId.Stages, stageLine(task.stages)),
      {
        type: 'context',
        block_id: TaskBlockId.Status,
        elements: [
          { type: 'mrkdwn', text: statusLine(task) },
          { type: 'mrkdwn', text: costLine(task) },
        ],
      },
    ],
  };
}

/** `*campaign-launch* · `campaign-launch-7f3a2c``. */
export function taskTitle(task: Pick<TaskView, 'agent' | 'id'>): string {
  return `*${mrkdwnText(task.agent, 100)}* · ${inlineCode(task.id, MAX_ID)}`;
}

/** `✅ planning 3.1 s · ⏳ reasoning · ○ launch`, within a section's limit. */
export function stageLine(stages: readonly StageView[]): string {
  if (stages.length === 0) return '_no stages yet_';
  const line = stages
    .map((stage) => {
      const took = stage.state === 'done' && stage.durationMs !== null ? ` ${formatDuration(stage.durationMs)}` : '';
      return `${STAGE_ICON[stage.state]} ${mrkdwnText(stage.name, 60)}${took}`;
    })
    .join(' · ');
  return truncateMrkdwn(line, BlockKitLimits.sectionText);
}

/** The line that says where the task stands and what to do about it. */
export function statusLine(task: TaskView): string {
  const at = task.stage ? ` at ${mrkdwnText(task.stage, 60)}` : '';
  const resume = `resume with \`/agent resume ${mrkdwnText(task.id, MAX_ID)}\``;
  switch (task.status) {
    case 'running':
      if (task.waitingFor) return `⏳ Waiting for approval: ${mrkdwnText(task.waitingFor.title, MAX_TITLE)}`;
      return task.stage ? `⏳ Running ${mrkdwnText(task.stage, 60)}` : '⏳ Starting';
    case 'completed':
      return `✅ Completed in ${formatDuration(task.durationSeconds * 1000)}`;
    case 'failed':
      return `❌ Failed${at}: ${mrkdwnText(task.error?.message ?? 'unknown error', MAX_ERROR)} · ${resume}`;
    case 'cancelled':
      return `🚫 Cancelled${at}${task.error ? ` (${cancelledBy(task.error.message)})` : ''}`;
    case 'interrupted': {
      const waiting = task.waitingFor
        ? `; it resumes once ${inlineCode(task.waitingFor.approvalId, MAX_ID)} is decided`
        : '';
      return `⏸️ Interrupted${at} when Gatehouse stopped${waiting} · ${resume}`;
    }
  }
}

/** `Cost so far $0.0123 of a $5.00 budget`. */
export function costLine(task: Pick<TaskView, 'costUsd' | 'budgetUsd' | 'status'>): string {
  const label = task.status === 'running' ? 'Cost so far' : 'Cost';
  const budget = task.budgetUsd === null ? '' : ` of a ${formatUsd(task.budgetUsd)} budget`;
  return `${label} ${formatUsd(task.costUsd)}${budget}`;
}

/** `850 ms`, `3.1 s`, `2 min 5 s`, `1 h 4 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `cancelled by U0ALICE` → `cancelled by <@U0ALICE>`. */
function cancelledBy(message: string): string {
  const match = /^cancelled by (.+)$/.exec(message);
  return match?.[1] ? `cancelled by ${userRef(match[1])}` : mrkdwnText(message, MAX_ERROR);
}

function section(blockId: string, text: string): KnownBlock {
  return { type: 'section', block_id: blockId, text: { type: 'mrkdwn', text } };
}
