import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AlertRecord } from '../../../alerts/types.js';
import type { ApprovalRecord } from '../../../approvals/types.js';
import { type Clock, systemClock } from '../../../clock.js';
import type { TaskService } from '../../../tasks/service.js';
import { homeView } from '../../blocks/home.js';

/** What the Home tab is built from. */
export interface HomeDeps {
  tasks: Pick<TaskService, 'list' | 'stats'>;
  /** Every pending approval (e.g. `() => approvals.findBy('status', 'pending')`). */
  pendingApprovals(): Promise<ApprovalRecord[]>;
  /** Stored alerts, newest first (the AlertManager's `history`). */
  alertHistory(options: { since: Date; limit: number }): Promise<AlertRecord[]>;
  logger: Logger;
  clock?: Clock;
  /** Whether `user` may decide `approval` (the gate's `mayDecide`); default: listed by id. */
  mayDecide?(approval: ApprovalRecord, user: string): Promise<boolean>;
}

const listed = async (approval: ApprovalRecord, user: string) => approval.approvers.includes(user);

const DAY_MS = 24 * 3600_000;
/** Home tabs refreshed when approvals change: the most recent viewers, at most this many. */
const MAX_VIEWERS = 500;

/**
 * Publishes each user's Home tab, and keeps the tabs of recent viewers current when approvals
 * they may decide come and go (a click in the Home tab included).
 */
export class HomePublisher {
  private readonly viewers = new Set<string>();
  private readonly clock: Clock;
  private readonly mayDecide: NonNullable<HomeDeps['mayDecide']>;

  constructor(private readonly deps: HomeDeps) {
    this.clock = deps.clock ?? systemClock;
    this.mayDecide = deps.mayDecide ?? listed;
  }

  /** Builds and publishes `user`'s Home tab; remembers them as a viewer. */
  async publish(client: webApi.WebClient, user: string): Promise<void> {
    this.viewers.delete(user);
    this.viewers.add(user);
    if (this.viewers.size > MAX_VIEWERS) this.viewers.delete(this.viewers.values().next().value ?? '');
    const now = new Date(this.clock.now());
    const [pending, tasks, alerts, stats] = await Promise.all([
      this.deps.pendingApprovals(),
      this.deps.tasks.list({ limit: 200 }),
      this.deps.alertHistory({ since: new Date(now.getTime() - DAY_MS), limit: 100 }),
      this.deps.tasks.stats(),
    ]);
    const open = pending.filter((approval) => approval.status === 'pending');
    const allowed = await Promise.all(open.map((approval) => this.mayDecide(approval, user)));
    const view = homeView({
      approvals: open.filter((_, i) => allowed[i]).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)),
      tasks: tasks.filter((task) => task.status === 'running' || task.status === 'interrupted'),
      alerts,
      stats,
      now,
    });
    await client.views.publish({ user_id: user, view });
  }

  /** Re-publishes the tabs of viewers who may decide `approval` (it was requested or decided). */
  approvalChanged(client: webApi.WebClient, approval: ApprovalRecord): void {
    // A copy: publishing moves the user to the end of `viewers`, which a live iteration would visit again.
    for (const user of [...this.viewers]) {
      this.mayDecide(approval, user)
        .then((allowed) => (allowed ? this.publish(client, user) : undefined))
        .catch((err: unknown) => {
          this.deps.logger.warn({ err, user }, 'could not refresh the Home tab');
        });
    }
  }
}
