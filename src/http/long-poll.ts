import type { Response } from 'express';
import type { ApprovalGate } from '../approvals/gate.js';
import type { ApprovalRecord } from '../approvals/types.js';
import type { ApprovalWatchers } from './watchers.js';

/**
 * The answer to `GET /approvals/:id?wait=…`: the approval once it is decided, when `waitMs` runs
 * out or when the server stops, whichever comes first; `undefined` if the client went away first.
 * One read of the store per request: the watch is in place before the read, so a decision landing
 * in between is not missed, and events keep the answer current after it. A client that goes away
 * frees its watch and timer at once.
 */
export async function longPoll(
  gate: Pick<ApprovalGate, 'get'>,
  watchers: ApprovalWatchers,
  id: string,
  waitMs: number,
  res: Response,
): Promise<ApprovalRecord | undefined> {
  let current: ApprovalRecord | undefined;
  let stopping = false;
  let settle: ((record: ApprovalRecord | undefined) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const answered = new Promise<ApprovalRecord | undefined>((resolve) => {
    settle = resolve;
  });
  const finish = (record: ApprovalRecord | undefined) => {
    if (!settle) return;
    const resolve = settle;
    settle = undefined;
    unwatch();
    clearTimeout(timer);
    res.off('close', gone);
    resolve(record);
  };
  const gone = () => finish(undefined);
  const newer = (record: ApprovalRecord) => {
    if (!current || record.version > current.version) current = record;
  };
  const unwatch = watchers.watch(id, {
    event(event) {
      newer(event.record);
      if (event.type === 'decided') finish(event.record);
    },
    shutdown() {
      stopping = true;
      if (current) finish(current);
    },
  });
  res.once('close', gone);
  try {
    newer(await gate.get(id));
  } catch (error) {
    finish(undefined);
    throw error;
  }
  const record = current as ApprovalRecord;
  if (record.status !== 'pending' || stopping) finish(record);
  else if (settle) timer = setTimeout(() => finish(current), waitMs).unref();
  return answered;
}
