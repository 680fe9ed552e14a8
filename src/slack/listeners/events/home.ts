import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AlertRecord } from '../../../alerts/types.js';
import type { ApprovalRecord } from '../../../approvals/types.js';
import { type Clock, systemClock, type TimerHandle } from '../../../clock.js';
import type { TaskService } from '../../../tasks/service.js';
import type { TaskStats, TaskView } from '../../../tasks/types.js';
import { homeView, homeViewDigest } from '../../blocks/home.js';

/** What the Home tab is built from. */
export interface HomeDeps {
  tasks: Pick<TaskService, 'list' | 'stats'>;
  /**
   * Pending approvals these viewers may decide (at least: each is checked with `mayDecide`), read
   * once per round for the round's viewers; keep it limited (`pendingFor` in src/approvals).
   */
  pendingApprovals(viewers: readonly string[]): Promise<ApprovalRecord[]>;
  /** Stored alerts, newest first (the AlertManager's `history`). */
  alertHistory(options: { since: Date; limit: number }): Promise<AlertRecord[]>;
  logger: Logger;
  clock?: Clock;
  /**
   * Shortest time between two refreshes of one viewer's tab when approvals change (default
   * {@link HOME_REFRESH_MS}); changes in between are shown together by the next one.
   */
  refreshIntervalMs?: number;
  /**
   * Most tabs republished in one round of refreshes (default {@link HOME_REFRESH_BATCH}), the most
   * recent viewers first; the rest wait for the next round. Keeps the work (and Slack's
   * `views.publish` rate) bounded however many people have the tab open.
   */
  refreshBatch?: number;
  /** Whether `user` may decide `approval` (the gate's `mayDecide`, groups included); default: listed by id. */
  mayDecide?(approval: ApprovalRecord, user: string): Promise<boolean>;
}

const listed = async (approval: ApprovalRecord, user: string) => approval.approvers.includes(user);

/** Default shortest time between two change-driven refreshes of one viewer's Home tab. */
export const HOME_REFRESH_MS = 3000;
/** Default most tabs republished per round of refreshes. */
export const HOME_REFRESH_BATCH = 10;

const DAY_MS = 24 * 3600_000;
/** Home tabs refreshed when approvals change: the most recent viewers, at most this many. */
const MAX_VIEWERS = 500;

/** What every viewer's tab is built from, read once per round of refreshes. */
interface HomeSources {
  /** Pending approvals, soonest deadline first. */
  pending: ApprovalRecord[];
  tasks: TaskView[];
  alerts: AlertRecord[];
  stats: TaskStats;
  now: Date;
}

/** What was last published to one viewer, and when. */
interface Published {
  digest: string | undefined;
  at: number;
}

/**
 * Publishes each user's Home tab, and keeps the tabs of recent viewers current when approvals
 * they may decide come and go (a click in the Home tab included). Refreshes are coalesced: a
 * viewer's tab is republished at most once per `refreshIntervalMs`, only if what it shows
 * changed; rounds of refreshes are an interval apart, each reads the sources once and republishes
 * at most `refreshBatch` tabs, so a change costs the same with 1 viewer or 500.
 */
export class HomePublisher {
  /** Recent viewers, least recent first. */
  private readonly viewers = new Map<string, Published>();
  /** Viewers whose tab may show something new. */
  private readonly stale = new Set<string>();
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly mayDecide: NonNullable<HomeDeps['mayDecide']>;
  /** When the last round of refreshes started. */
  private lastRound = Number.NEGATIVE_INFINITY;
  private client: webApi.WebClient | undefined;
  private timer: TimerHandle | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly deps: HomeDeps) {
    this.clock = deps.clock ?? systemClock;
    this.intervalMs = deps.refreshIntervalMs ?? HOME_REFRESH_MS;
    this.batch = deps.refreshBatch ?? HOME_REFRESH_BATCH;
    this.mayDecide = deps.mayDecide ?? listed;
  }

  /** Builds and publishes `user`'s Home tab (they opened it); remembers them as a viewer. */
  async publish(client: webApi.WebClient, user: string): Promise<void> {
    const previous = this.viewers.get(user);
    this.viewers.delete(user);
    this.viewers.set(user, previous ?? { digest: undefined, at: Number.NEGATIVE_INFINITY });
    if (this.viewers.size > MAX_VIEWERS) this.forget(this.viewers.keys().next().value ?? '');
    this.stale.delete(user);
    await this.send(client, user, await this.load([user]), true);
  }

  /** Marks the tabs of viewers who may decide `approval` (it was requested or decided) for a refresh. */
  approvalChanged(client: webApi.WebClient, approval: ApprovalRecord): void {
    this.client = client;
    // Decided here and now, without asking Slack: listed viewers, and everyone when the request
    // lists a user group (its members are only known later) or nobody. The next round republishes
    // only tabs whose view changed, so marking too many costs a build, never a publish.
    const open = approval.approvers.length === 0 || approval.approvers.some((a) => a.startsWith('S'));
    for (const user of this.viewers.keys()) if (open || approval.approvers.includes(user)) this.stale.add(user);
    this.schedule();
  }

  /** Resolves once the round of refreshes under way, if any, has published what it will. */
  async idle(): Promise<void> {
    while (this.refreshing) await this.refreshing;
  }

  /** Arms one timer for the next round: an interval after the last one, once a stale viewer's interval has passed. */
  private schedule(): void {
    if (this.timer !== undefined || this.refreshing || this.stale.size === 0) return;
    let due = Number.POSITIVE_INFINITY;
    for (const user of this.stale) due = Math.min(due, (this.viewers.get(user)?.at ?? 0) + this.intervalMs);
    due = Math.max(due, this.lastRound + this.intervalMs);
    this.timer = this.clock.setTimeout(() => this.refresh(), Math.max(0, due - this.clock.now()));
  }

  private refresh(): void {
    this.timer = undefined;
    const client = this.client;
    const now = this.clock.now();
    // Most recent viewers first (the map keeps them least recent first).
    const due = [...this.viewers.keys()]
      .reverse()
      .filter((user) => this.stale.has(user) && (this.viewers.get(user)?.at ?? 0) + this.intervalMs <= now)
      .slice(0, this.batch);
    if (!client || due.length === 0) {
      this.schedule();
      return;
    }
    this.lastRound = now;
    for (const user of due) this.stale.delete(user);
    this.refreshing = this.load(due)
      .then((sources) => Promise.all(due.map((user) => this.send(client, user, sources, false))))
      .then(
        () => {},
        (err: unknown) => this.deps.logger.warn({ err }, 'could not refresh the Home tabs'),
      )
      .finally(() => {
        this.refreshing = undefined;
        this.schedule();
      });
  }

  /** Publishes `user`'s tab unless it shows what was published last (always when `force`). */
  private async send(client: webApi.WebClient, user: string, sources: HomeSources, force: boolean): Promise<void> {
    const allowed = await Promise.all(sources.pending.map((approval) => this.mayDecide(approval, user)));
    const view = homeView({
      approvals: sources.pending.filter((_, i) => allowed[i]),
      tasks: sources.tasks,
      alerts: sources.alerts,
      stats: sources.stats,
      now: sources.now,
    });
    const digest = homeViewDigest(view);
    const published = this.viewers.get(user);
    if (!force && published?.digest === digest) return;
    // The interval counts from the moment of sending, so a change meanwhile waits its turn.
    if (published) published.at = this.clock.now();
    try {
      await client.views.publish({ user_id: user, view });
    } catch (err) {
      if (force) throw err;
      this.deps.logger.warn({ err, user }, 'could not refresh the Home tab');
      return;
    }
    if (published) published.digest = digest;
  }

  private async load(viewers: readonly string[]): Promise<HomeSources> {
    const now = new Date(this.clock.now());
    const [pending, tasks, alerts, stats] = await Promise.all([
      this.deps.pendingApprovals(viewers),
      this.deps.tasks.list({ limit: 200 }),
      this.deps.alertHistory({ since: new Date(now.getTime() - DAY_MS), limit: 100 }),
      this.deps.tasks.stats(),
    ]);
    return {
      pending: pending
        .filter((approval) => approval.status === 'pending')
        .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt)),
      tasks: tasks.filter((task) => task.status === 'running' || task.status === 'interrupted'),
      alerts,
      stats,
      now,
    };
  }

  private forget(user: string): void {
    this.viewers.delete(user);
    this.stale.delete(user);
  }
}
