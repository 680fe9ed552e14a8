import type { Logger } from 'pino';
import type { ApprovalResponse } from '../approvals/types.js';
import { maskSecrets } from '../mask.js';

/** How much of a prompt a Claude call line shows. */
export const PROMPT_PREVIEW_CHARS = 200;

/** One Claude call, as the Claude wrapper reports it. */
export interface ClaudeCallLog {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens?: number;
  cacheReadTokens?: number;
  costUsd: number;
  /** The prompt (or last user message); only a masked, one-line preview is logged. */
  prompt: string;
  durationMs?: number;
  /** True when the response came from the response cache. */
  cached?: boolean;
}

/** The first characters of `text` on one line, secrets masked. */
export function promptPreview(text: string, max = PROMPT_PREVIEW_CHARS): string {
  const line = maskSecrets(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Logs a Claude call at DEBUG on `logger` (a stage's `ctx.log` carries agent, task and stage). */
export function logClaudeCall(logger: Logger, call: ClaudeCallLog): void {
  if (!logger.isLevelEnabled('debug')) return;
  const { prompt, ...rest } = call;
  logger.debug({ event: 'claude_call', ...rest, promptPreview: promptPreview(prompt) }, 'claude call');
}

/**
 * The agent runtime's log lines: one per stage start, completion and failure, per approval asked
 * and received, each structured and bound to `{ agent, taskId }`.
 */
export class AgentLogger {
  /** The pino child bound to `{ agent, taskId }`. */
  readonly logger: Logger;

  constructor(base: Logger, bindings: { agent: string; taskId: string }) {
    this.logger = base.child(bindings);
  }

  /** A child for one stage, as handed to it in `ctx.log`. */
  forStage(stage: string): Logger {
    return this.logger.child({ stage });
  }

  /** `afterStage`: the last checkpointed stage a resumed task continues after. */
  taskStarted(resumed: boolean, afterStage: string | null): void {
    this.logger.info({ event: 'task_started', resumed, afterStage }, resumed ? 'task resumed' : 'task started');
  }

  stageStarted(stage: string, index: number, attempt: number): void {
    this.logger.info({ event: 'stage_started', stage, index, attempt }, 'stage started');
  }

  stageCompleted(stage: string, durationMs: number): void {
    this.logger.info({ event: 'stage_completed', stage, durationMs }, 'stage completed');
  }

  stageFailed(stage: string, error: unknown, durationMs: number): void {
    this.logger.error({ event: 'stage_failed', stage, durationMs, err: error }, 'stage failed');
  }

  taskCompleted(durationSeconds: number): void {
    this.logger.info({ event: 'task_completed', durationSeconds }, 'task completed');
  }

  taskCancelled(stage: string | null): void {
    this.logger.warn({ event: 'task_cancelled', stage }, 'task cancelled');
  }

  claudeCall(call: ClaudeCallLog): void {
    logClaudeCall(this.logger, call);
  }

  approvalRequired(stage: string, approvalId: string, title: string): void {
    this.logger.info({ event: 'approval_required', stage, approvalId, title }, 'approval required');
  }

  /** `stored` when the decision was already on record (a resumed task asking again). */
  approvalReceived(stage: string, response: ApprovalResponse, stored: boolean): void {
    this.logger.info(
      {
        event: 'approval_received',
        stage,
        approvalId: response.id,
        status: response.status,
        decidedBy: response.decidedBy,
        stored,
      },
      'approval received',
    );
  }
}
