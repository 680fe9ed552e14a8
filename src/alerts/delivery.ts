import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import type { RateLimit } from '../store/types.js';
import {
  attempt,
  describeError,
  firstFailure,
  isHeld,
  slackTarget,
  trailingFailures,
  withDelivery,
} from './attempts.js';
import { createStormDigests, digestKey, type StormDigests } from './digest.js';
import type { AlertGroups } from './groups.js';
import { ChannelPacer, type PaceOutcome } from './pacing.js';
import { type AlertEmailPort, type AlertSlackPort, RateLimitedError, UnreachableError } from './ports.js';
import type { AlertRouter } from './routing.js';
import type { AlertRecord, Delivery, DeliveryAttempt } from './types.js';
import { CounterUpdates } from './updates.js';
import type { Work } from './work.js';

/** Options of a Deliverer. */
export interface DelivererOptions {
  groups: AlertGroups;
  router: AlertRouter;
  slack?: AlertSlackPort;
  email?: AlertEmailPort;
  clock: Clock;
  logger: Logger;
  work: Work;
  slackIntervalMs: number;
  updateIntervalMs: number;
  updateSpacingMs: number;
  /** Slack failing this long after a delivery's first failure: the alert goes by e-mail. */
  fallbackMs: number;
  /** Posts per channel shared with every other instance (one per `slackIntervalMs`), when clustered. */
  sharedPace?: RateLimit;
  /** Storm digests (on when the Slack port can post them): where the history is, and the timing. */
  digest?: { historyUrl?: () => string; windowMs?: number; updateIntervalMs?: number };
}

interface SlackItem {
  key: string;
  channel: string;
  id: string;
  target: string;
  threadTs?: string;
  /** The channel's storm digest rather than one group. */
  digest?: true;
}

/** First wait after Slack could not be reached; doubled after each failure, up to the cap. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30_000;

/**
 * Delivers stored alert groups: Slack posts paced per channel and retried with backoff, falling
 * back to e-mail; route e-mails once per group; storm counters updated in place. Every attempt is
 * written to the group's record before the next step, so a restart resumes where it stopped.
 */
export class Deliverer {
  private readonly pacer: ChannelPacer<SlackItem>;
  private readonly updates: CounterUpdates | null;
  private readonly fallbackTimers = new Map<string, TimerHandle>();
  private readonly holds = new Map<string, TimerHandle>();
  private readonly mailing = new Set<string>();
  private readonly digests: StormDigests | null;
  private stopped = false;

  constructor(private readonly options: DelivererOptions) {
    const { clock, logger, work, slack, groups } = options;
    this.pacer = new ChannelPacer<SlackItem>({
      clock,
      work,
      intervalMs: options.slackIntervalMs,
      run: (item) => (item.digest ? this.postDigest(item) : this.post(item)),
      onError: (error, item) =>
        logger.error({ err: error, alertId: item.id, target: item.target }, 'alert post failed; will retry'),
    });
    this.updates = slack
      ? new CounterUpdates({
          groups,
          slack,
          clock,
          logger,
          work,
          intervalMs: options.updateIntervalMs,
          spacingMs: options.updateSpacingMs,
          giveUpMs: options.fallbackMs,
        })
      : null;
    this.digests = createStormDigests(slack, {
      groups,
      clock,
      logger,
      work,
      capacity: Math.max(1, Math.floor(60_000 / options.slackIntervalMs)),
      enqueueDigest: (channel) => {
        const key = digestKey(channel);
        this.pacer.enqueue({ key, channel, id: key, target: `slack:${channel}`, digest: true }, true);
      },
      cancelPost: (key) => this.pacer.cancel(key),
      ...options.digest,
    });
  }

  /** A new group was stored (its delivery runs later, as an effect): a storm digest may take it now. */
  arrived(record: AlertRecord): void {
    if (this.stopped || !this.digests || isHeld(record, this.options.clock.now())) return;
    for (const delivery of record.deliveries) {
      const slack = delivery.status === 'pending' ? slackTarget(delivery.target) : null;
      if (slack) this.digests.absorb(record, delivery.target, slack.channel);
    }
  }

  /** Starts (or resumes) every pending delivery of `record`; a held record waits for its release. */
  dispatch(record: AlertRecord): void {
    if (this.stopped) return;
    const { clock } = this.options;
    const heldUntil = record.heldUntil ? Date.parse(record.heldUntil) : 0;
    if (heldUntil > clock.now()) {
      this.hold(record.id, heldUntil);
      return;
    }
    for (const delivery of record.deliveries) {
      if (delivery.status !== 'pending') continue;
      const slack = slackTarget(delivery.target);
      if (!slack) {
        this.mail(record.id, delivery.target);
        continue;
      }
      const key = `${record.id}|${delivery.target}`;
      if (this.digests?.absorb(record, delivery.target, slack.channel)) continue;
      this.pacer.enqueue({ key, id: record.id, target: delivery.target, ...slack });
      const first = firstFailure(delivery);
      if (first !== null && first + this.options.fallbackMs > clock.now()) {
        this.armFallback(key, record.id, delivery.target, first + this.options.fallbackMs);
      }
    }
    this.updates?.request(record);
  }

  /** A storm occurrence was counted: posted messages get their counter updated (coalesced). */
  occurred(record: AlertRecord): void {
    if (this.stopped) return;
    this.updates?.request(record);
    this.digests?.occurred(record);
  }

  /** Delivers again after `stop()` (a new instance starts ready). */
  start(): void {
    this.stopped = false;
    this.pacer.start();
    this.updates?.start();
  }

  /** Disarms every timer; what was pending stays pending in the store. */
  stop(): void {
    this.stopped = true;
    this.pacer.stop();
    this.updates?.stop();
    this.digests?.stop();
    for (const timer of [...this.fallbackTimers.values(), ...this.holds.values()]) {
      this.options.clock.clearTimeout(timer);
    }
    this.fallbackTimers.clear();
    this.holds.clear();
  }

  private hold(id: string, until: number): void {
    if (this.holds.has(id)) return;
    const { clock, groups, logger } = this.options;
    const timer = clock.setTimeout(() => {
      this.holds.delete(id);
      void this.options.work.track(
        groups.get(id).then(
          (record) => record && this.dispatch(record),
          (error: unknown) => logger.error({ err: error, alertId: id }, 'could not release a held alert'),
        ),
      );
    }, until - clock.now());
    this.holds.set(id, timer);
  }

  private async post(item: SlackItem): Promise<PaceOutcome> {
    const { groups, clock, slack } = this.options;
    const record = await groups.get(item.id);
    const delivery = record?.deliveries.find((d) => d.target === item.target);
    if (!record || delivery?.status !== 'pending' || isHeld(record, clock.now())) {
      this.digests?.settled(item.channel, item.key);
      return { type: 'skip' };
    }
    if (!slack) {
      await this.fallBack(item, 'failed', attempt(clock.now(), 'Slack is off'));
      return { type: 'skip' };
    }
    // The pace is shared with the other instances: one post per channel per interval in all.
    const wait = (await this.options.sharedPace?.take(`slack:${item.channel}`)) ?? 0;
    if (wait > 0) return { type: 'pause', ms: wait };
    let message: Awaited<ReturnType<AlertSlackPort['post']>>;
    try {
      message = await slack.post(item.channel, record, item.threadTs ? { threadTs: item.threadTs } : undefined);
    } catch (error) {
      return this.postFailed(item, delivery, error);
    }
    const at = new Date(clock.now()).toISOString();
    const written = await groups.write(item.id, (current) =>
      withDelivery(current, item.target, (d) => ({
        ...d,
        status: 'sent',
        message,
        deliveredCount: record.count,
        attempts: [...d.attempts, { at, ok: true }],
      })),
    );
    this.disarmFallback(item.key);
    this.digests?.settled(item.channel, item.key);
    this.updates?.posted(item.id, item.target);
    this.updates?.request(written);
    return { type: 'done' };
  }

  /** Posts a channel's digest at the channel's pace (shared with the other instances). */
  private async postDigest(item: SlackItem): Promise<PaceOutcome> {
    const wait = (await this.options.sharedPace?.take(`slack:${item.channel}`)) ?? 0;
    if (wait > 0) return { type: 'pause', ms: wait };
    return (await this.digests?.post(item.channel)) ?? { type: 'skip' };
  }

  private async postFailed(item: SlackItem, delivery: Delivery, error: unknown): Promise<PaceOutcome> {
    const { clock, groups, fallbackMs, logger } = this.options;
    const now = clock.now();
    const failed = attempt(now, describeError(error));
    const transient = error instanceof RateLimitedError || error instanceof UnreachableError;
    const first = firstFailure(delivery) ?? now;
    if (!transient || now - first >= fallbackMs) {
      await this.fallBack(item, transient ? 'fallback' : 'failed', failed);
      return { type: 'done' };
    }
    await groups.write(item.id, (current) =>
      withDelivery(current, item.target, (d) => ({ ...d, attempts: [...d.attempts, failed] })),
    );
    this.armFallback(item.key, item.id, item.target, first + fallbackMs);
    if (error instanceof RateLimitedError) {
      logger.warn({ alertId: item.id, channel: item.channel, retryAfterMs: error.retryAfterMs }, 'Slack rate limit');
      return { type: 'pause', ms: error.retryAfterMs };
    }
    const failures = trailingFailures(delivery) + 1;
    logger.warn({ alertId: item.id, channel: item.channel, failures }, 'Slack unreachable; will retry');
    return { type: 'retry', ms: Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_CAP_MS) };
  }

  /** Gives up on Slack for one delivery and sends the alert by e-mail instead (once per group). */
  private async fallBack(
    item: Pick<SlackItem, 'key' | 'id' | 'target'>,
    status: 'fallback' | 'failed',
    last?: DeliveryAttempt,
  ) {
    const { groups, email, logger } = this.options;
    this.disarmFallback(item.key);
    this.pacer.cancel(item.key);
    const channel = slackTarget(item.target)?.channel;
    if (channel) this.digests?.settled(channel, item.key);
    let changed = false;
    const written = await groups.write(item.id, (current) => {
      const delivery = current.deliveries.find((d) => d.target === item.target);
      changed = delivery?.status === 'pending';
      if (!changed) return current;
      const next = withDelivery(current, item.target, (d) => ({
        ...d,
        status,
        attempts: last ? [...d.attempts, last] : d.attempts,
      }));
      if (email && !next.deliveries.some((d) => d.target === 'email:fallback')) {
        next.deliveries = [...next.deliveries, { target: 'email:fallback', status: 'pending', attempts: [] }];
      }
      return next;
    });
    if (!changed) return;
    logger.warn({ alertId: item.id, target: item.target, status }, 'Slack delivery failed; falling back to e-mail');
    if (!email)
      logger.error({ alertId: item.id }, 'Slack delivery failed and e-mail is off: the alert is only in history');
    const fallback = written.deliveries.find((d) => d.target === 'email:fallback');
    if (fallback?.status === 'pending') this.mail(item.id, 'email:fallback');
  }

  private armFallback(key: string, id: string, target: string, at: number): void {
    if (this.stopped || this.fallbackTimers.has(key)) return;
    const { clock, logger, work } = this.options;
    const timer = clock.setTimeout(() => {
      this.fallbackTimers.delete(key);
      void work.track(
        this.fallBack({ key, id, target }, 'fallback').catch((error: unknown) =>
          logger.error({ err: error, alertId: id, target }, 'e-mail fallback failed'),
        ),
      );
    }, at - clock.now());
    this.fallbackTimers.set(key, timer);
  }

  private disarmFallback(key: string): void {
    const timer = this.fallbackTimers.get(key);
    if (timer === undefined) return;
    this.options.clock.clearTimeout(timer);
    this.fallbackTimers.delete(key);
  }

  /** Sends a pending e-mail delivery once (the port retries SMTP itself) and records the outcome. */
  private mail(id: string, target: string): void {
    const key = `${id}|${target}`;
    if (this.mailing.has(key)) return;
    this.mailing.add(key);
    const { work, logger } = this.options;
    void work.track(
      this.sendMail(id, target)
        .catch((error: unknown) => logger.error({ err: error, alertId: id, target }, 'alert e-mail failed'))
        .finally(() => this.mailing.delete(key)),
    );
  }

  private async sendMail(id: string, target: string): Promise<void> {
    const { groups, router, email, clock, logger } = this.options;
    const record = await groups.get(id);
    const delivery = record?.deliveries.find((d) => d.target === target);
    if (!record || delivery?.status !== 'pending' || isHeld(record, clock.now())) return;
    const fallback = target === 'email:fallback';
    const to = fallback ? router.fallbackRecipients(record.route) : record.route.email;
    let result: { ok: boolean; attempts: DeliveryAttempt[]; error?: string };
    if (!email) result = { ok: false, attempts: [attempt(clock.now(), 'e-mail is off')] };
    else if (to.length === 0)
      result = { ok: false, attempts: [attempt(clock.now(), 'no e-mail recipients configured')] };
    else {
      try {
        result = await email.send(to, record, { fallback });
      } catch (error) {
        result = { ok: false, attempts: [attempt(clock.now(), describeError(error))] };
      }
    }
    const attempts = result.attempts.length > 0 ? result.attempts : [attempt(clock.now(), result.error, result.ok)];
    await groups.write(id, (current) =>
      withDelivery(current, target, (d) => ({
        ...d,
        status: result.ok ? 'sent' : 'failed',
        deliveredCount: record.count,
        attempts: [...d.attempts, ...attempts],
      })),
    );
    if (!result.ok) logger.error({ alertId: id, target, error: result.error }, 'alert e-mail not delivered');
  }
}
