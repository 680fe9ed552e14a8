import { type Clock, systemClock } from '../clock.js';
import { decodeCursor, encodeCursor, type Page, percentile, utcDay, utcDays } from '../query-kit.js';
import type { RecordStore } from '../store/types.js';
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

function matches(record: ApprovalRecord, filter: ApprovalFilter): boolean {
  if (filter.taskId !== undefined && record.taskId !== filter.taskId) return false;
  if (filter.since !== undefined && Date.parse(record.createdAt) < Date.parse(filter.since)) return false;
  if (filter.approver !== undefined) {
    const who = filter.approver;
    const involved =
      record.approvers.includes(who) ||
      (record.votes ?? []).some((vote) => vote.voter === who) ||
      record.decision?.decidedBy === who;
    if (!involved) return false;
  }
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
 * ApprovalQueries over today's RecordStore: one `findBy('status', …)` per asked status, then
 * filtered and sorted in memory. Fine for a team's history; the indexed store replaces it.
 */
export class RecordStoreApprovalQueries implements ApprovalQueries {
  constructor(
    private readonly store: Pick<RecordStore<ApprovalRecord>, 'findBy'>,
    private readonly clock: Clock = systemClock,
  ) {}

  async list(filter: ApprovalFilter): Promise<Page<ApprovalRecord>> {
    const position = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const found = await this.byStatus(filter.status ?? APPROVAL_STATUSES);
    const sorted = found
      .filter((record) => matches(record, filter) && (!position || after(record, position)))
      .sort(newestFirst);
    const items = sorted.slice(0, filter.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: sorted.length > filter.limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
    };
  }

  async summary({ days }: { days: number }): Promise<ApprovalSummary> {
    const now = this.clock.now();
    const window = utcDays(now, days);
    const start = Date.parse(`${window[0]}T00:00:00.000Z`);
    const all = await this.byStatus(APPROVAL_STATUSES);
    const rows = new Map(
      window.map((day) => [
        day,
        { day, requested: 0, approved: 0, rejected: 0, timeout: 0, cancelled: 0, seconds: [] as number[] },
      ]),
    );
    const decisionSeconds: number[] = [];
    for (const record of all) {
      const created = Date.parse(record.createdAt);
      if (created >= start) {
        const row = rows.get(utcDay(created));
        if (row) row.requested += 1;
      }
      const decision = record.decision;
      if (!decision || record.status === 'pending') continue;
      const decided = Date.parse(decision.decidedAt);
      if (decided < start) continue;
      const row = rows.get(utcDay(decided));
      if (!row) continue;
      row[record.status] += 1;
      if (decision.via !== 'system') {
        const seconds = Math.max(0, (decided - created) / 1000);
        row.seconds.push(seconds);
        decisionSeconds.push(seconds);
      }
    }
    return {
      pending: all.filter((record) => record.status === 'pending').length,
      days: [...rows.values()].map(({ seconds, ...row }) => ({ ...row, avgDecisionSeconds: mean(seconds) })),
      decisionSeconds: {
        avg: mean(decisionSeconds),
        p95: percentile(decisionSeconds, 95),
        count: decisionSeconds.length,
      },
    };
  }

  private async byStatus(statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord[]> {
    const lists = await Promise.all([...new Set(statuses)].map((status) => this.store.findBy('status', status)));
    return lists.flat();
  }
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}
