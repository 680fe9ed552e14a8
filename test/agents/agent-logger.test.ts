import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/agent.js';
import { logClaudeCall, promptPreview } from '../../src/agents/logger.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ManualClock } from '../support/manual-clock.js';

/** A pino logger writing parsed JSON lines into `lines`. */
function capture(level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('agent logger', () => {
  it('writes one structured line per stage start, completion, failure and approval, with agent and task id', async () => {
    const { logger, lines } = capture();
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    const gate = new ApprovalGate({ store: store, clock });
    gate.onRequested((record) => {
      void gate.decide(record.id, { decision: 'approve', decidedBy: 'U0ALICE', via: 'slack' });
    });
    const agent = defineAgent(
      {
        name: 'logged',
        stages: [
          { name: 'plan', run: () => clock.advance(1500).then(() => 'ok') },
          { name: 'ask', run: (ctx) => ctx.requireApproval({ title: 'Go?' }).then((r) => r.status) },
          {
            name: 'boom',
            run: (ctx) => {
              ctx.log.info({ detail: 42 }, 'inside the stage');
              throw new Error('kaput');
            },
          },
        ],
      },
      { store, clock, logger, gate },
    );
    await expect(agent.run({ taskId: 'log-1' })).rejects.toThrow('kaput');

    const events = lines.filter((l) => l.event || l.msg === 'inside the stage');
    expect(events.every((l) => l.agent === 'logged' && l.taskId === 'log-1')).toBe(true);
    expect(events.map((l) => [l.event ?? l.msg, l.stage ?? null])).toEqual([
      ['task_started', null],
      ['stage_started', 'plan'],
      ['stage_completed', 'plan'],
      ['stage_started', 'ask'],
      ['approval_required', 'ask'],
      ['approval_received', 'ask'],
      ['stage_completed', 'ask'],
      ['stage_started', 'boom'],
      ['inside the stage', 'boom'],
      ['stage_failed', 'boom'],
    ]);
    expect(events.find((l) => l.event === 'stage_completed')).toMatchObject({ durationMs: 1500 });
    expect(events.find((l) => l.event === 'approval_received')).toMatchObject({
      approvalId: 'log-1:ask:1',
      status: 'approved',
      decidedBy: 'U0ALICE',
      stored: false,
    });
    expect(events.find((l) => l.event === 'stage_failed')).toMatchObject({
      level: 50,
      err: { message: 'kaput', type: 'Error' },
    });
  });

  it('logs a Claude call at DEBUG with model, tokens, cost and a masked one-line prompt preview', () => {
    const { logger, lines } = capture();
    logClaudeCall(logger.child({ agent: 'a', taskId: 't' }), {
      model: 'claude-sonnet-5-5',
      inputTokens: 1200,
      outputTokens: 300,
      costUsd: 0.0081,
      prompt: `Use key sk-ant-api03-${'x'.repeat(40)}\n\nand plan ${'a'.repeat(400)}`,
    });
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 20, event: 'claude_call', model: 'claude-sonnet-5-5', inputTokens: 1200 });
    expect(line?.promptPreview).not.toContain('xxxxxxxxxx');
    expect(String(line?.promptPreview)).toHaveLength(200);
    expect(line).not.toHaveProperty('prompt');

    const quiet = capture('info');
    logClaudeCall(quiet.logger, { model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0, prompt: 'p' });
    expect(quiet.lines).toEqual([]);
  });

  it('previews prompts on one line', () => {
    expect(promptPreview('  plan\n\tthe   launch ')).toBe('plan the launch');
    expect(promptPreview('abcdef', 4)).toBe('abc…');
  });
});
