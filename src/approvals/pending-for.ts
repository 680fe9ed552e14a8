import type { RecordStore } from '../store/types.js';
import type { ApprovalRecord } from './types.js';

/** Pending requests read per viewer (and of the open ones): far more than a Home tab shows. */
export const PENDING_PER_VIEWER = 100;

/**
 * The pending requests these viewers may be asked to decide, with indexed and limited reads only:
 * those listing each viewer (`pendingApprover`) and those listing nobody or a group
 * (`pendingOpen`, for the caller to check with the directory). Oldest first per read, which is
 * close to soonest deadline first; each read holds at most `limit` however long the history is.
 */
export async function pendingFor(
  store: Pick<RecordStore<ApprovalRecord>, 'query'>,
  viewers: readonly string[],
  limit = PENDING_PER_VIEWER,
): Promise<ApprovalRecord[]> {
  const pages = await Promise.all([
    store.query({ index: 'pendingOpen', value: 'open', limit }),
    ...[...new Set(viewers)].map((user) => store.query({ index: 'pendingApprover', value: user, limit })),
  ]);
  const byId = new Map<string, ApprovalRecord>();
  for (const page of pages) for (const record of page.items) byId.set(record.id, record);
  return [...byId.values()];
}
