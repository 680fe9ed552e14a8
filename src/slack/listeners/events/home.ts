import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AlertRecord } from '../../../alerts/types.js';
import type { ApprovalRecord } from '../../../approvals/types.js';
import { type Clock, systemClock } from '../../../clock.js';
import type { TaskService } from '../../../tasks/service.js';
import { homeView } from '../../blocks/home.js';
import { mayDecide } from '../reply.js';

/** What the Home tab is built from. */
export interface HomeDeps {
  tasks: Pick<TaskService, 'list' | 'stats'>;
  /** Every pending approval (e.g. `() => approvals.findBy('status', 'pending')`). */
  pendingApprovals(): Promise<ApprovalRecord[]>;
  /** Stored alerts, newest first (the AlertManager's `history`). */
  alertHistory(options: { since: Date; limit: number }): Promise<AlertRecord[]>;
  logger: Logger;
  clock?: Clock;
}

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

  constructor(private readonly deps: HomeDeps) {
    this.clock = deps.clock ?? systemClock;
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
    const view = homeView({
      approvals: pending
        .filter((approval) => approval.status === 'pending' && mayDecide(approval, user))
        .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)),
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
      if (!mayDecide(approval, user)) continue;
      this.publish(client, user).catch((err: unknown) => {
        this.deps.logger.warn({ err, user }, 'could not refresh the Home tab');
      });
    }
  }
}
