import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { budgetPercent, formatUsd } from '../../../src/alerts/render.js';
import type { AlertRecord } from '../../../src/alerts/types.js';
import { AlertBlockId, type AlertMessage, alertMessage, percentBar } from '../../../src/slack/blocks/index.js';
import { alertRecord } from '../../support/alert-record.js';
import { assertWithinBlockKitLimits } from './block-kit-limits.js';

/** Every block of the message, top level and in the coloured attachment, as Slack receives them. */
function allBlocks(message: AlertMessage): types.KnownBlock[] {
  return [...message.blocks, ...message.attachments.flatMap((attachment) => attachment.blocks)];
}

function block(message: AlertMessage, id: string): types.KnownBlock | undefined {
  return allBlocks(message).find((candidate) => candidate.block_id === id);
}

/** The mrkdwn or plain text of a block: a section's text and fields, a context's elements, a header. */
function textOf(found: types.KnownBlock | undefined): string {
  if (!found) return '';
  if (found.type === 'header') return found.text.text;
  if (found.type === 'section') {
    return [...(found.text ? [found.text.text] : []), ...(found.fields ?? []).map((f) => f.text)].join('\n');
  }
  if (found.type === 'context') return found.elements.map((e) => ('text' in e ? e.text : '')).join('\n');
  return '';
}

function expectValid(message: AlertMessage): void {
  assertWithinBlockKitLimits(allBlocks(message));
  expect(message.attachments).toHaveLength(1);
  expect(message.text.length).toBeLessThanOrEqual(400);
}

describe('alertMessage', () => {
  it('shows a failure with its emoji, red bar, task, stage and error', () => {
    const message = alertMessage(alertRecord());

    expectValid(message);
    expect(message.text).toBe('🔴 Task campaign-42 failed at stage launch');
    expect(message.attachments[0]?.color).toBe('#E01E5A');
    expect(message.attachments[0]?.fallback).toBe(message.text);
    expect(message.blocks).toEqual([
      {
        type: 'header',
        block_id: AlertBlockId.Header,
        text: { type: 'plain_text', text: '🔴 Task campaign-42 failed at stage launch', emoji: true },
      },
    ]);
    expect(textOf(block(message, AlertBlockId.Fields))).toBe('*Task*\n`campaign-42`\n*Stage*\n`launch`');
    expect(textOf(block(message, AlertBlockId.Error))).toBe(
      '*Error*\n```Error: connect ECONNRESET\n    at launch (campaign.ts:42:7)```',
    );
    expect(textOf(block(message, AlertBlockId.Meta))).toBe('Critical · Failure · alert `al_1`');
    expect(block(message, AlertBlockId.Storm)).toBeUndefined();
  });

  it.each([
    ['critical', '🔴', '#E01E5A', 'Critical'],
    ['warning', '🟠', '#F2952F', 'Warning'],
    ['info', '🔵', '#1D9BD1', 'Info'],
  ] as const)('gives a %s alert %s and %s', (severity, emoji, color, word) => {
    const message = alertMessage(
      alertRecord({ kind: 'custom', severity, taskId: null, stage: null, error: null, title: 'Queue is slow' }),
    );

    expectValid(message);
    expect(message.text).toBe(`${emoji} Queue is slow`);
    expect(textOf(message.blocks[0])).toBe(`${emoji} Queue is slow`);
    expect(message.attachments[0]?.color).toBe(color);
    expect(textOf(block(message, AlertBlockId.Meta))).toMatch(new RegExp(`^${word} · Alert`));
    expect(block(message, AlertBlockId.Fields)).toBeUndefined();
  });

  it('shows a completion as a green success with how long it took', () => {
    const message = alertMessage(
      alertRecord({
        kind: 'completion',
        severity: 'info',
        stage: null,
        error: null,
        title: 'Task campaign-42 completed',
        message: 'It ran for 3 min 12 s.',
        durationSeconds: 192,
      }),
    );

    expectValid(message);
    expect(message.text).toBe('✅ Task campaign-42 completed');
    expect(message.attachments[0]?.color).toBe('#2EB67D');
    expect(textOf(block(message, AlertBlockId.Fields))).toBe('*Task*\n`campaign-42`\n*Duration*\n3 min 12 s');
    expect(textOf(block(message, AlertBlockId.Message))).toBe('It ran for 3 min 12 s.');
  });

  it('shows a cost warning as amounts, percent and a bar', () => {
    const title = 'Task campaign-42 has used 85% of its budget ($510.00 of $600.00)';
    const message = alertMessage(
      alertRecord({
        kind: 'cost_warning',
        severity: 'warning',
        error: null,
        title,
        currentCost: 510,
        budget: 600,
        percent: 85,
      }),
    );

    expectValid(message);
    expect(message.text).toBe(`🟠 ${title}`);
    expect(message.attachments[0]?.color).toBe('#F2952F');
    expect(textOf(block(message, AlertBlockId.Cost))).toBe('*Cost*  `▓▓▓▓▓▓▓▓░░`  $510.00 of $600.00 · 85%');
  });

  it('shows an exceeded budget with a full bar', () => {
    const message = alertMessage(
      alertRecord({
        kind: 'budget_exceeded',
        error: null,
        title: 'Task campaign-42 exceeded its budget ($612.50 of $600.00)',
        message: 'It was stopped at 102.1% of its budget.',
        currentCost: 612.5,
        budget: 600,
        percent: 102.1,
      }),
    );

    expectValid(message);
    expect(message.text).toBe('🔴 Task campaign-42 exceeded its budget ($612.50 of $600.00)');
    expect(textOf(block(message, AlertBlockId.Cost))).toBe('*Cost*  `▓▓▓▓▓▓▓▓▓▓`  $612.50 of $600.00 · 102.1%');
    expect(textOf(block(message, AlertBlockId.Message))).toBe('It was stopped at 102.1% of its budget.');
  });

  it('works the percent out from cost and budget, and never shows 100 % before the budget is reached', () => {
    const message = alertMessage(
      alertRecord({ kind: 'cost_warning', severity: 'warning', currentCost: 598.2, budget: 600, percent: null }),
    );
    expect(textOf(block(message, AlertBlockId.Cost))).toContain('`▓▓▓▓▓▓▓▓▓░`  $598.20 of $600.00 · 99.7%');
    expect(budgetPercent({ percent: null, currentCost: 599.99, budget: 600 })).toBe(99.9);
    expect(budgetPercent({ percent: 100, currentCost: 600, budget: 600 })).toBe(100);
    expect(budgetPercent({ percent: null, currentCost: 5, budget: null })).toBeNull();
  });

  it('leaves out a message that only repeats the title or the error’s first line', () => {
    const failure = alertMessage(alertRecord({ message: 'Error: connect ECONNRESET' }));
    const same = alertMessage(alertRecord({ error: null, message: 'Task campaign-42 failed at stage launch' }));

    expect(block(failure, AlertBlockId.Message)).toBeUndefined();
    expect(block(same, AlertBlockId.Message)).toBeUndefined();
  });

  it('counts a storm in one line: how often, over how long, and when last', () => {
    const message = alertMessage(
      alertRecord({ count: 200, firstSeen: '2024-05-01T10:00:00.000Z', lastSeen: '2024-05-01T10:02:00.000Z' }),
    );

    expectValid(message);
    expect(message.text).toBe('🔴 Task campaign-42 failed at stage launch (×200)');
    expect(textOf(block(message, AlertBlockId.Storm))).toBe(
      '⚠️ failed 200 times in 2 min · last at <!date^1714557720^{time}|2024-05-01T10:02:00.000Z>',
    );
  });

  it('adds the date to the last time when it is not from today', () => {
    const message = alertMessage(
      alertRecord({ count: 1200, firstSeen: '2024-05-01T10:00:00.000Z', lastSeen: '2024-05-01T13:00:00.000Z' }),
      { now: new Date('2024-05-03T09:00:00.000Z') },
    );
    expect(textOf(block(message, AlertBlockId.Storm))).toBe(
      '⚠️ failed 1,200 times in 3 h · last at <!date^1714568400^{date_short_pretty} at {time}|2024-05-01T13:00:00.000Z>',
    );
  });

  it('keeps a 1 MB stack within the limits and its code block closed', () => {
    const frame = '    at Object.<anonymous> (/srv/app/node_modules/some-lib/dist/index.js:1234:56) & more\n';
    const message = alertMessage(alertRecord({ error: `Error: boom\n${frame.repeat(12_000)}` }));

    expectValid(message);
    const error = textOf(block(message, AlertBlockId.Error));
    expect(error.startsWith('*Error*\n```Error: boom\n')).toBe(true);
    expect(error.endsWith('…```')).toBe(true);
    expect(error.match(/```/g)).toHaveLength(2);
  });

  it.each([
    ['a fenced snippet', 'SyntaxError in:\n```js\nconst x = `a`;\n```'],
    ['a run of five backticks', 'before `````after'],
    ['backticks at both ends', '`oops`'],
    ['two backticks at both ends', '``x``'],
    ['only backticks', '`'.repeat(4000)],
  ])('never lets %s break the code block', (_name, error) => {
    const message = alertMessage(alertRecord({ error }));

    expectValid(message);
    const text = textOf(block(message, AlertBlockId.Error));
    expect(text.match(/```/g)).toHaveLength(2);
    expect(text.startsWith('*Error*\n```')).toBe(true);
    expect(text.endsWith('```')).toBe(true);
    expect(text.slice('*Error*\n```'.length, -3)).not.toMatch(/^`|`$/);
  });

  it('escapes mrkdwn control characters in user text', () => {
    const message = alertMessage(
      alertRecord({
        kind: 'custom',
        taskId: 'a<b>&c',
        stage: '<!channel>',
        title: '<!here> broke & <https://evil.example|click>',
        message: 'Ping <@U0BOSS> & <!everyone>',
        error: '<script>alert(1)</script>',
      }),
    );

    expectValid(message);
    const everything = JSON.stringify([message.text, allBlocks(message).filter((b) => b.type !== 'header')]);
    expect(everything).not.toMatch(/<!here>|<!channel>|<!everyone>|<@U0BOSS>|<script>/);
    expect(message.text).toBe('🔴 &lt;!here&gt; broke &amp; &lt;https://evil.example|click&gt;');
    expect(textOf(block(message, AlertBlockId.Message))).toBe('Ping &lt;@U0BOSS&gt; &amp; &lt;!everyone&gt;');
    expect(textOf(block(message, AlertBlockId.Error))).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it.each([
    ['a 10,000-character title', { title: 'T'.repeat(10_000) }],
    ['a title of 10,000 emoji', { title: '🚀'.repeat(10_000), kind: 'custom' as const }],
    ['a 1 MB message', { message: 'Lorem <ipsum> & dolor. '.repeat(45_000) }],
    ['huge task, stage and id', { taskId: 't'.repeat(10_000), stage: 's&'.repeat(5000), id: 'i'.repeat(5000) }],
    ['everything huge at once', { title: '&'.repeat(9000), message: '<'.repeat(90_000), error: '>'.repeat(1e6) }],
  ])('stays within Block Kit limits with %s', (_name, overrides: Partial<AlertRecord>) => {
    const message = alertMessage(alertRecord({ count: 99_999, ...overrides }));

    expectValid(message);
    expect(textOf(message.blocks[0]).length).toBeLessThanOrEqual(150);
  });

  it('falls back to the kind when the title is blank', () => {
    const message = alertMessage(alertRecord({ title: ' \n ', error: null }));
    expect(message.text).toBe('🔴 Failure');
    expect(textOf(message.blocks[0])).toBe('🔴 Failure');
  });
});

describe('alert formatting', () => {
  it('formats dollars with cents, and fractions of a dollar more finely', () => {
    expect(formatUsd(510)).toBe('$510.00');
    expect(formatUsd(12_345.678)).toBe('$12,345.68');
    expect(formatUsd(0.0042)).toBe('$0.0042');
  });

  it('fills one cell of the bar per full 10 %', () => {
    expect(percentBar(0)).toBe('░░░░░░░░░░');
    expect(percentBar(85)).toBe('▓▓▓▓▓▓▓▓░░');
    expect(percentBar(100)).toBe('▓▓▓▓▓▓▓▓▓▓');
    expect(percentBar(250)).toBe('▓▓▓▓▓▓▓▓▓▓');
  });
});
