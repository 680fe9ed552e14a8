import { createHash } from 'node:crypto';
import type { types } from '@slack/bolt';
import { formatUsd } from '../../alerts/render.js';
import type { AlertRecord } from '../../alerts/types.js';
import type { ApprovalRecord } from '../../approvals/types.js';
import type { TaskStats, TaskView } from '../../tasks/types.js';
import { alertStyle, alertTitle } from './alert-message.js';
import { actionsBlock, slackDate, userRef } from './approval-message.js';
import { inlineCode } from './context-fields.js';
import { BlockKitLimits, mrkdwnText, truncate, truncateMrkdwn } from './limits.js';
import { costLine, formatDuration, stageLine, statusLine, taskTitle } from './task-progress.js';

type KnownBlock = types.KnownBlock;

/** What the Home tab of one user shows. */
export interface HomeViewInput {
  /** Pending approvals this user may decide, soonest deadline first. */
  approvals: readonly ApprovalRecord[];
  /** Tasks running or interrupted. */
  tasks: readonly TaskView[];
  /** Alerts of the last 24 hours, newest first. */
  alerts: readonly AlertRecord[];
  stats: TaskStats;
  now: Date;
}

/** How many of each list are shown; the rest are counted. Together they stay well under 100 blocks. */
export const HomeLimits = { approvals: 12, tasks: 10, alerts: 15, blocks: 100 } as const;

/** `block_id` prefix of each approval's buttons in the Home tab (one block per approval). */
export const HOME_APPROVAL_BLOCK = 'gatehouse_home_approval_';

/** `block_id` of the "Updated …" line, the one part of the view that changes at every build. */
export const HOME_UPDATED_BLOCK = 'gatehouse_home_updated';

/**
 * The App Home view: approvals waiting for this user with the same buttons (and action ids) as
 * the channel message, running tasks, the last day's alerts and totals.
 */
export function homeView(input: HomeViewInput): types.HomeView & { blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [
    header('Gatehouse'),
    {
      ...context(`Updated ${slackDate(input.now.toISOString(), '{date_short_pretty} {time}')}`),
      block_id: HOME_UPDATED_BLOCK,
    },
    ...approvalBlocks(input.approvals),
    { type: 'divider' },
    ...taskBlocks(input.tasks),
    { type: 'divider' },
    ...alertBlocks(input.alerts),
    { type: 'divider' },
    ...statsBlocks(input.stats),
  ];
  return { type: 'home', blocks: blocks.slice(0, HomeLimits.blocks) };
}

/**
 * A digest of what a Home view shows, its "Updated …" line left out: two views with the same
 * digest look the same to the viewer, so the second need not be published.
 */
export function homeViewDigest(view: { blocks: readonly KnownBlock[] }): string {
  const shown = view.blocks.filter((block) => block.block_id !== HOME_UPDATED_BLOCK);
  return createHash('sha256').update(JSON.stringify(shown)).digest('base64url');
}

function approvalBlocks(approvals: readonly ApprovalRecord[]): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Waiting for your decision (${approvals.length})`)];
  if (approvals.length === 0) return [...blocks, context('Nothing to decide. 🎉')];
  approvals.slice(0, HomeLimits.approvals).forEach((approval, index) => {
    const lines = [`*${mrkdwnText(approval.title, BlockKitLimits.headerText)}*`];
    if (approval.explanation.trim()) lines.push(mrkdwnText(approval.explanation, 300));
    const meta = [
      approval.requestedBy ? `Requested by ${userRef(approval.requestedBy)}` : null,
      approval.taskId ? `task ${inlineCode(approval.taskId, 150)}` : null,
      `decide by ${slackDate(approval.expiresAt, '{date_short_pretty} {time}')}`,
    ];
    lines.push(meta.filter((part) => part !== null).join(' · '));
    blocks.push(
      section(lines.join('\n')),
      actionsBlock(approval.id, `${HOME_APPROVAL_BLOCK}${index}`, approval.title, approval.grantOptions),
    );
  });
  return [...blocks, ...more(approvals.length - HomeLimits.approvals, 'approval')];
}

function taskBlocks(tasks: readonly TaskView[]): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Running tasks (${tasks.length})`)];
  if (tasks.length === 0) return [...blocks, context('No task is running. Start one with `/agent start`.')];
  for (const task of tasks.slice(0, HomeLimits.tasks)) {
    blocks.push(
      section([taskTitle(task), stageLine(task.stages), `${statusLine(task)} · ${costLine(task)}`].join('\n')),
    );
  }
  return [...blocks, ...more(tasks.length - HomeLimits.tasks, 'task')];
}

function alertBlocks(alerts: readonly AlertRecord[]): KnownBlock[] {
  const blocks: KnownBlock[] = [header('Alerts in the last 24 hours')];
  if (alerts.length === 0) return [...blocks, context('No alerts. ✨')];
  for (const alert of alerts.slice(0, HomeLimits.alerts)) {
    const count = alert.count > 1 ? ` ×${alert.count}` : '';
    const when = slackDate(alert.lastSeen, '{time}');
    blocks.push(context(`${alertStyle(alert).emoji} ${mrkdwnText(alertTitle(alert), 300)}${count} · ${when}`));
  }
  return [...blocks, ...more(alerts.length - HomeLimits.alerts, 'alert')];
}

function statsBlocks(stats: TaskStats): KnownBlock[] {
  const average = stats.avgDurationSeconds === null ? '–' : formatDuration(stats.avgDurationSeconds * 1000);
  const field = (label: string, value: string) => ({ type: 'mrkdwn' as const, text: `*${label}*\n${value}` });
  return [
    header('Totals'),
    {
      type: 'section',
      fields: [
        field('Tasks run', `${stats.total} (${stats.running} running)`),
        field('Failure rate', `${Math.round(stats.failureRate * 1000) / 10} %`),
        field('Average duration', average),
        field('Total cost', formatUsd(stats.totalCostUsd)),
      ],
    },
  ];
}

function more(hidden: number, what: string): KnownBlock[] {
  return hidden > 0 ? [context(`…and ${hidden} more ${what}${hidden === 1 ? '' : 's'}`)] : [];
}

function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, BlockKitLimits.headerText), emoji: true } };
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(text, BlockKitLimits.sectionText) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}
