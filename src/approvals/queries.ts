import { type Clock, systemClock } from '../clock.js';
import { mergedPage } from '../indexed-list.js';
import { decodeCursor, encodeCursor, type Page, percentile, utcDay, utcDays } from '../query-kit.js';
import { ALL, type RecordStore } from '../store/types.js';
import { involvedIn, listingKey } from './records.js';
import type { ApprovalRecord, ApprovalStatus } from './types.js';

export type { Page } from '../query-kit.js';

/** Every status, in the order lists show them. */
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'rejected', 'timeout', 'cancelled'];

/** What a list of approvals may be narrowed to; every field but `limit` is optional. */
export interface ApprovalFilter {
  /** Any of these statuses (default: all). */
  status?: readonly ApprovalStatus[];
  /** Listed as an approver of the request, or voted on it, or decided it. */
  approver?: string;
  taskId?: string;
  /** Created at or after this time (ISO 8601). */
  since?: string;
  /** Text found (case-insensitively) in the id, title, explanation, requester, task id or context. */
  q?: string;
  /** Where the previous page ended (its `nextCursor`). */
  cursor?: string;
  limit: number;
}

/** Approvals per UTC day, and how long decisions took. */
export interface ApprovalSummary {
  pending: number;
  days: Array<{
    day: string;
    requested: number;
    approved: number;
    rejected: number;
    timeout: number;
    cancelled: number;
    /** Mean seconds from request to decision of the approvals decided that day; null when none. */
    avgDecisionSeconds: number | null;
  }>;
  /** Over every decision in the window (deadlines excluded: nobody decided those). */
  decisionSeconds: { avg: number | null; p95: number | null; count: number };
}

/**
 * The read side of approvals that lists and dashboards need. Callers depend on this interface
 * only, so the store behind it can answer with indexed queries without changing them.
 */
export interface ApprovalQueries {
  /** One page, newest first (by `createdAt`, then id). */
  list(filter: ApprovalFilter): Promise<Page<ApprovalRecord>>;
  /** The last `days` UTC days up to now. */
  summary(options: { days: number }): Promise<ApprovalSummary>;
}

const newestFirst = (a: ApprovalRecord, b: ApprovalRecord) =>
  b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);

/** Whether the record sorts after the cursor's position in a newest-first list. */
const after = (record: ApprovalRecord, position: { at: string; id: string }) =>
  record.createdAt < position.at || (record.createdAt === position.at && record.id < position.id);

/**
 * The free-text filter (and approver and task together, which no single index key serves) scan
 * at most this many of the newest requests the index selects: a search of recent history, never
 * of all of it.
 */
export const SCAN_WINDOW = 1000;
/** Decision times of a summary come from at most this many of the newest requests of its window. */
export const SUMMARY_SAMPLE = 1000;

function residualMatches(record: ApprovalRecord, filter: ApprovalFilter): boolean {
  if (filter.taskId !== undefined && record.taskId !== filter.taskId) return false;
  if (filter.approver !== undefined && !involvedIn(record).includes(filter.approver)) return false;
  if (filter.q !== undefined && filter.q !== '') {
    const needle = filter.q.toLowerCase();
    const haystack = [
      record.id,
      record.title,
      record.explanation,
      record.requestedBy ?? '',
      record.taskId ?? '',
      JSON.stringify(record.context),
    ];
    if (!haystack.some((text) => text.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/**
 * ApprovalQueries on the store's indexes (`approvalIndexes`): a list is one `listing` query per
 * asked status (one for all of them), limited to the page and merged; a summary counts per day
 * with `count` and reads a bounded sample for decision times. Nothing grows with the history.
 */
export class IndexedApprovalQueries implements ApprovalQueries {
  constructor(
    private readonly store: Pick<RecordStore<ApprovalRecord>, 'query' | 'count'>,
    private readonly clock: Clock = systemClock,
  ) {}

  async list(filter: ApprovalFilter): Promise<Page<ApprovalRecord>> {
    const statuses = [...new Set(filter.status ?? APPROVAL_STATUSES)];
    const keyStatuses = statuses.length === APPROVAL_STATUSES.length ? ['*'] : statuses;
    const from = filter.since === undefined ? undefined : new Date(filter.since).toISOString();
    // One key serves an approver or a task; the other (when both are asked) is checked per record.
    const keyFilter = filter.approver !== undefined ? { approver: filter.approver } : { taskId: filter.taskId };
    const sources = keyStatuses.map((status) => ({
      key: status,
      page: (afterCursor: string | undefined, limit: number) =>
        this.store.query({
          index: 'listing',
          value: listingKey(keyFilter, status),
          order: 'desc',
          from,
          after: afterCursor,
          limit,
        }),
    }));
    const scans = (filter.q !== undefined && filter.q !== '') || (filter.approver && filter.taskId);
    if (!scans) return mergedPage(sources, newestFirst, filter.limit, filter.cursor);
    const position = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const window = await mergedPage(sources, newestFirst, SCAN_WINDOW);
    const found = window.items.filter(
      (record) => residualMatches(record, filter) && (!position || after(record, position)),
    );
    const items = found.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: found.length > filter.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async summary({ days }: { days: number }): Promise<ApprovalSummary> {
    const now = this.clock.now();
    const window = utcDays(now, days);
    const start = new Date(`${window[0]}T00:00:00.000Z`).toISOString();
    const decided = APPROVAL_STATUSES.filter((status) => status !== 'pending') as Exclude<ApprovalStatus, 'pending'>[];
    const [pending, rows, sample] = await Promise.all([
      this.store.count('status', 'pending'),
      Promise.all(
        window.map(async (day) => {
          const [requested, ...byStatus] = await Promise.all([
            this.store.count('day', `c|${day}`),
            ...decided.map((status) => this.store.count('day', `d|${day}|${status}`)),
          ]);
          const row = { day, requested: requested ?? 0, approved: 0, rejected: 0, timeout: 0, cancelled: 0 };
          decided.forEach((status, i) => {
            row[status] = byStatus[i] ?? 0;
          });
          return row;
        }),
      ),
      this.store.query({ index: ALL, order: 'desc', from: start, limit: SUMMARY_SAMPLE }),
    ]);
    const seconds = new Map<string, number[]>(window.map((day) => [day, []]));
    const decisionSeconds: number[] = [];
    for (const record of sample.items) {
      const decision = record.decision;
      // Decided by a person only: deadlines and grants would pull the time to decision towards 0.
      if (!decision || record.status === 'pending' || decision.via === 'system' || decision.via === 'grant') continue;
      const decidedAt = Date.parse(decision.decidedAt);
      const perDay = seconds.get(utcDay(decidedAt));
      if (!perDay || decidedAt < Date.parse(start)) continue;
      const value = Math.max(0, (decidedAt - Date.parse(record.createdAt)) / 1000);
      perDay.push(value);
      decisionSeconds.push(value);
    }
    return {
      pending,
      days: rows.map((row) => ({ ...row, avgDecisionSeconds: mean(seconds.get(row.day) ?? []) })),
      decisionSeconds: {
        avg: mean(decisionSeconds),
        p95: percentile(decisionSeconds, 95),
        count: decisionSeconds.length,
      },
    };
  }
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}
