import type { AlertManager } from '../alerts/manager.js';
import { HistoryAlertQueries } from '../alerts/queries.js';
import { IndexedApprovalQueries } from '../approvals/queries.js';
import { APPROVALS_NAMESPACE, approvalIndexes } from '../approvals/records.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import type { ListQueries } from '../http/lists.js';
import type { Store } from '../store/types.js';
import { ServiceTaskQueries } from '../tasks/queries.js';
import type { TaskService } from '../tasks/service.js';

/** The read side the API lists and the web app share, on today's store. */
export function createListQueries(parts: {
  store: Store;
  tasks: TaskService;
  alerts: AlertManager;
  clock?: Clock;
}): ListQueries {
  const clock = parts.clock ?? systemClock;
  return {
    approvals: new IndexedApprovalQueries(
      parts.store.records<ApprovalRecord>(APPROVALS_NAMESPACE, approvalIndexes),
      clock,
    ),
    tasks: new ServiceTaskQueries(parts.tasks, clock),
    alerts: new HistoryAlertQueries(parts.alerts, clock),
  };
}
