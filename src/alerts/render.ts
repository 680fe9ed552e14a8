import { maskSecrets } from '../mask.js';
import type { AlertInput, AlertKind, AlertRecord, Severity } from './types.js';

/** One occurrence of an alert, rendered and masked: the fields an alert group takes from it. */
export type Occurrence = Pick<
  AlertRecord,
  | 'kind'
  | 'severity'
  | 'dedupKey'
  | 'taskId'
  | 'stage'
  | 'title'
  | 'message'
  | 'error'
  | 'currentCost'
  | 'budget'
  | 'percent'
  | 'durationSeconds'
>;

const DEFAULT_SEVERITY: Record<AlertKind, Severity> = {
  failure: 'critical',
  budget_exceeded: 'critical',
  cost_warning: 'warning',
  completion: 'info',
  custom: 'info',
};

/** Stack frames kept in an error excerpt. */
const MAX_FRAMES = 15;
/** Longest error excerpt, in characters. */
const MAX_ERROR_CHARS = 2500;
/** Only this much of an error is read at all: the excerpt comes from its start. */
const MAX_ERROR_SCAN = 20_000;

/** US dollars with cents; amounts under a dollar keep up to four decimals, as model calls cost fractions of a cent. */
export function formatUsd(amount: number): string {
  const small = Math.abs(amount) < 1 && amount !== 0;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: 2,
    maximumFractionDigits: small ? 4 : 2,
  }).format(amount);
}

/** A count with thousands separators: 10,000. */
export function formatCount(count: number): string {
  return new Intl.NumberFormat('en-US').format(count);
}

/**
 * The share of the budget used, to one decimal (85, 84.9, 102.5), worked out from cost and
 * budget when the record has none; never shown as 100 before the budget is reached.
 */
export function budgetPercent(alert: Pick<AlertRecord, 'percent' | 'currentCost' | 'budget'>): number | null {
  const exact =
    alert.percent ??
    (alert.currentCost !== null && alert.budget !== null && alert.budget > 0
      ? (alert.currentCost / alert.budget) * 100
      : null);
  if (exact === null || !Number.isFinite(exact)) return null;
  const rounded = Math.round(exact * 10) / 10;
  return exact < 100 ? Math.min(rounded, 99.9) : rounded;
}

/** The severity of `kind` when the alert names none. */
export function defaultSeverity(kind: AlertKind): Severity {
  return DEFAULT_SEVERITY[kind];
}

/** `cost / budget` as a percentage with one decimal (85, 84.9, 102.5). */
export function percentOf(cost: number, budget: number): number {
  return Math.round((cost / budget) * 1000) / 10;
}

/**
 * Renders an alert's title and message for its kind and masks every text field. The caller's
 * `title` and `message` win over the rendered ones; the error is cut to a readable excerpt.
 */
export function renderOccurrence(input: AlertInput): Occurrence {
  const taskId = input.taskId === undefined ? null : maskSecrets(input.taskId);
  const stage = input.stage === undefined ? null : maskSecrets(input.stage);
  const error = input.error === undefined ? null : errorExcerpt(input.error);
  const hasCost = input.currentCost !== undefined && input.budget !== undefined && input.budget > 0;
  const percent = hasCost ? percentOf(input.currentCost ?? 0, input.budget ?? 1) : null;
  const rendered = renderText(input.kind, { ...input, taskId, stage, error, percent });
  const title = input.title === undefined ? rendered.title : maskSecrets(input.title);
  const message = input.message === undefined ? rendered.message : maskSecrets(input.message);
  const dedupKey =
    input.dedupKey === undefined
      ? [input.kind, taskId ?? '', stage ?? '', ...(input.kind === 'custom' ? [title] : [])].join(':')
      : maskSecrets(input.dedupKey);
  return {
    kind: input.kind,
    severity: input.severity ?? defaultSeverity(input.kind),
    dedupKey,
    taskId,
    stage,
    title,
    message,
    error,
    currentCost: input.currentCost ?? null,
    budget: input.budget ?? null,
    percent,
    durationSeconds: input.durationSeconds ?? null,
  };
}

interface TextParts {
  taskId: string | null;
  stage: string | null;
  error: string | null;
  percent: number | null;
  currentCost?: number;
  budget?: number;
  durationSeconds?: number;
}

function renderText(kind: AlertKind, parts: TextParts): { title: string; message: string } {
  const task = `Task ${parts.taskId ?? '(unnamed)'}`;
  const money = `(${formatUsd(parts.currentCost ?? 0)} of ${formatUsd(parts.budget ?? 0)})`;
  switch (kind) {
    case 'failure':
      return {
        title: parts.stage ? `${task} failed at stage ${parts.stage}` : `${task} failed`,
        message: parts.error?.split('\n', 1)[0] ?? 'No error message was given.',
      };
    case 'cost_warning':
      return {
        title: `${task} has used ${parts.percent}% of its budget ${money}`,
        message: 'It will be stopped when it reaches 100% of its budget.',
      };
    case 'budget_exceeded':
      return {
        title: `${task} exceeded its budget ${money}`,
        message: `It was stopped at ${parts.percent}% of its budget.`,
      };
    case 'completion':
      return {
        title: `${task} completed`,
        message:
          parts.durationSeconds === undefined
            ? 'It completed.'
            : `It ran for ${formatDuration(parts.durationSeconds)}.`,
      };
    case 'custom':
      return { title: 'Alert', message: '' };
  }
}

/**
 * A readable excerpt of an error or stack: masked, its first line and first 15 stack frames,
 * at most 2,500 characters. Masking comes first so that a cut never leaves half a secret.
 */
export function errorExcerpt(text: string): string {
  const lines = maskSecrets(text.slice(0, MAX_ERROR_SCAN)).trimEnd().split('\n');
  const kept = [lines[0] ?? ''];
  let frames = 0;
  let index = 1;
  for (; index < lines.length && frames < MAX_FRAMES; index++) {
    const line = lines[index] ?? '';
    if (/^\s+at /.test(line)) frames++;
    kept.push(line);
  }
  const dropped = lines.length - index;
  if (dropped > 0 || text.length > MAX_ERROR_SCAN) kept.push(`    … ${dropped > 0 ? `${dropped} more lines` : 'cut'}`);
  const excerpt = kept.join('\n');
  return excerpt.length <= MAX_ERROR_CHARS ? excerpt : `${excerpt.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

/** `45 s`, `3 min 12 s`, `2 h 5 min`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return total % 60 === 0 ? `${minutes} min` : `${minutes} min ${total % 60} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

const VERB: Record<AlertKind, string> = {
  failure: 'failed',
  cost_warning: 'warned',
  budget_exceeded: 'went over budget',
  completion: 'completed',
  custom: 'fired',
};

/**
 * The storm counter a grouped alert's message shows, e.g. `failed 200 times in 2 min, last:
 * 09:02:13 UTC`; null for a single occurrence. For the Slack and e-mail surfaces.
 */
export function occurrenceSummary(alert: Pick<AlertRecord, 'kind' | 'count' | 'firstSeen' | 'lastSeen'>) {
  if (alert.count <= 1) return null;
  const spanSeconds = Math.max(0, (Date.parse(alert.lastSeen) - Date.parse(alert.firstSeen)) / 1000);
  const last = new Date(alert.lastSeen).toISOString().slice(11, 19);
  return `${VERB[alert.kind]} ${alert.count} times in ${formatDuration(spanSeconds)}, last: ${last} UTC`;
}
