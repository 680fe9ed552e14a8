import { randomUUID } from 'node:crypto';
import { type Logger, pino } from 'pino';
import { parseOrThrow } from '../approvals/schema.js';
import { type Clock, systemClock } from '../clock.js';
import type { EffectQueue, RateLimit, RecordStore } from '../store/types.js';
import { Deliverer, type DelivererOptions } from './delivery.js';
import { deliveryEffect, registerAlertDelivery } from './durable.js';
import { AlertGroups, stateOf } from './groups.js';
import type { AlertEmailPort, AlertSlackPort, TaskThreadLookup } from './ports.js';
import { type Occurrence, renderOccurrence } from './render.js';
import type { AlertRouter } from './routing.js';
import { alertInputSchema } from './schema.js';
import type { AlertInput, AlertRecord, Delivery, Route, Severity } from './types.js';
import { Work } from './work.js';

export { alertInputSchema } from './schema.js';

/** Options of an AlertManager; everything but `store` and `routing` has a default. */
export interface AlertManagerOptions {
  store: RecordStore<AlertRecord>;
  /**
   * The store's effects: when given, each alert's delivery is owed in the same write that stores it
   * and run by whichever instance claims it, retried until Slack or e-mail took it (or the horizon).
   * Without it deliveries run in this process only (tests of the delivery rules).
   */
  effects?: EffectQueue;
  /** How long an alert that reached neither Slack nor e-mail keeps being retried (default 24 h). */
  deliveryHorizonSeconds?: number;
  /** Slack's pace shared by every instance on the store (`store.rateLimit`), so several never post together. */
  sharedPace?: RateLimit;
  /** Without it Slack is off: alerts with no route e-mail go to the fallback e-mail list. */
  slack?: AlertSlackPort;
  /** Without it e-mail is off: no route e-mails and no fallback. */
  email?: AlertEmailPort;
  routing: AlertRouter;
  /** Finds a task's approval message, so its alerts are also posted in that thread. */
  threadFor?: TaskThreadLookup;
  clock?: Clock;
  logger?: Logger;
  newId?: () => string;
  /** The same dedup key within this window of the group's first occurrence: one message with a counter. */
  dedupWindowSeconds?: number;
  /** A cost warning is sent from this share of the budget (percent) on. */
  costWarningPercent?: number;
  /** Slack failing this long after a delivery's first failure: the alert goes by e-mail. */
  emailFallbackSeconds?: number;
  /** Least time between two posts to one Slack channel. */
  slackIntervalMs?: number;
  /**
   * Least time between two counter updates of one Slack message. chat.update is rate-limited per
   * workspace (Slack's tier 3, about 50 a minute), so a storm's counters refresh every 10 s by default.
   */
  updateIntervalMs?: number;
  /** Least time between any two counter updates, all messages together (default 1.2 s: 50 a minute). */
  updateSpacingMs?: number;
  /** Storm digests (see `StormDigests`): the history they link to, and their timing. */
  digest?: DelivererOptions['digest'];
}

/** What `send` did: the stored group, whether it joined an existing one, and where it goes. */
export interface SendResult {
  alert: AlertRecord;
  grouped: boolean;
  route: Route;
  /** Why nothing was stored or sent (a cost warning below the threshold). */
  suppressed?: string;
}

/**
 * Alerts from agents: validated, rendered and masked, grouped by dedup key, stored, then
 * delivered to the routed Slack channels (paced, retried, falling back to e-mail) and e-mail
 * lists. `send` resolves once the alert is stored, not once it is delivered.
 */
export class AlertManager {
  private readonly groups: AlertGroups;
  private readonly deliverer: Deliverer;
  private readonly work = new Work();
  private readonly routing: AlertRouter;
  private readonly slack: AlertSlackPort | undefined;
  private readonly email: AlertEmailPort | undefined;
  private readonly threadFor: TaskThreadLookup | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly costWarningPercent: number;
  private readonly durable: boolean;

  constructor({
    store,
    effects,
    deliveryHorizonSeconds = 24 * 3600,
    sharedPace,
    slack,
    email,
    routing,
    threadFor,
    clock = systemClock,
    logger = pino({ level: 'silent' }),
    newId = randomUUID,
    dedupWindowSeconds = 300,
    costWarningPercent = 80,
    emailFallbackSeconds = 60,
    slackIntervalMs = 1000,
    updateIntervalMs = 10_000,
    updateSpacingMs = 1_200,
    digest,
  }: AlertManagerOptions) {
    this.routing = routing;
    this.slack = slack;
    this.email = email;
    this.threadFor = threadFor;
    this.clock = clock;
    this.logger = logger;
    this.newId = newId;
    this.costWarningPercent = costWarningPercent;
    this.groups = new AlertGroups(store, dedupWindowSeconds * 1000, newId);
    this.deliverer = new Deliverer({
      groups: this.groups,
      router: routing,
      slack,
      email,
      clock,
      logger,
      work: this.work,
      slackIntervalMs,
      updateIntervalMs,
      updateSpacingMs,
      fallbackMs: emailFallbackSeconds * 1000,
      sharedPace,
      digest,
    });
    this.durable = effects !== undefined;
    if (effects) {
      this.groups.owedByNew = (record) => [deliveryEffect(record)];
      registerAlertDelivery({
        effects,
        groups: this.groups,
        deliverer: this.deliverer,
        clock,
        logger,
        horizonMs: deliveryHorizonSeconds * 1000,
      });
    }
  }

  /** Validates, stores (or counts into its group) and queues an alert for delivery. */
  async send(input: AlertInput): Promise<SendResult> {
    const occurrence = renderOccurrence(parseOrThrow(alertInputSchema, input));
    const now = this.clock.now();
    const { route, holdUntil } = this.routing.route(occurrence, now);
    if (occurrence.kind === 'cost_warning' && (occurrence.percent ?? 0) < this.costWarningPercent) {
      const alert = this.build(this.newId(), occurrence, now, new Date(now).toISOString(), route, null, []);
      return { alert, grouped: false, route, suppressed: 'below threshold' };
    }
    const { record, created } = await this.work.track(
      this.groups.occur(occurrence, now, async (id, firstSeen) =>
        this.build(id, occurrence, now, firstSeen, route, holdUntil, await this.deliveriesFor(occurrence, route)),
      ),
    );
    if (created) {
      this.logger.info(
        { alertId: record.id, kind: record.kind, severity: record.severity, taskId: record.taskId },
        'alert raised',
      );
      // Effects dispatch it later: a storm digest still learns of it now.
      if (this.durable) this.deliverer.arrived(record);
      else this.deliverer.dispatch(record);
    } else {
      this.deliverer.occurred(record);
    }
    return { alert: record, grouped: !created, route: record.route };
  }

  /** A task failed at a stage; an Error is reported with its stack. */
  failure(input: { taskId: string; stage?: string; error?: unknown; dedupKey?: string }): Promise<SendResult> {
    const { error, ...rest } = input;
    return this.send({ kind: 'failure', ...rest, ...(error === undefined ? {} : { error: errorText(error) }) });
  }

  /** A task's cost nears its budget: sent only from `costWarningPercent` on, else suppressed. */
  costWarning(input: { taskId: string; currentCost: number; budget: number }): Promise<SendResult> {
    return this.send({ kind: 'cost_warning', ...input });
  }

  /** A task reached its budget and was stopped. */
  budgetExceeded(input: { taskId: string; currentCost: number; budget: number }): Promise<SendResult> {
    return this.send({ kind: 'budget_exceeded', ...input });
  }

  /** A task completed. */
  completion(input: { taskId: string; durationSeconds?: number }): Promise<SendResult> {
    return this.send({ kind: 'completion', ...input });
  }

  /** Anything else; info unless told otherwise. */
  custom(input: {
    title: string;
    message?: string;
    severity?: Severity;
    taskId?: string;
    dedupKey?: string;
  }): Promise<SendResult> {
    return this.send({ kind: 'custom', ...input });
  }

  /** Resumes every stored alert with something left to deliver (after a restart, `kill -9` included). */
  async start(): Promise<{ pending: number }> {
    this.deliverer.start();
    const pending = await this.work.track(this.groups.pending());
    // With effects, what is owed is re-driven by the store's workers, on whichever instance claims it.
    if (!this.durable) for (const record of pending) this.deliverer.dispatch(record);
    if (pending.length > 0) this.logger.info({ pending: pending.length }, 'resumed pending alert deliveries');
    return { pending: pending.length };
  }

  /** Disarms every timer; pending deliveries stay in the store for the next `start()`. */
  stop(): void {
    this.deliverer.stop();
  }

  /** Resolves once nothing is queued, retrying or in flight (held alerts excepted): for tests and benchmarks. */
  idle(): Promise<void> {
    return this.work.idle();
  }

  /** Stored alert groups, last seen first (default at most 100). */
  history(options: { since?: Date | string; taskId?: string; limit?: number } = {}): Promise<AlertRecord[]> {
    return this.groups.list(options);
  }

  private build(
    id: string,
    occurrence: Occurrence,
    now: number,
    firstSeen: string,
    route: Route,
    holdUntil: number | null,
    deliveries: Delivery[],
  ): AlertRecord {
    const record: AlertRecord = {
      id,
      ...occurrence,
      count: 1,
      firstSeen,
      lastSeen: new Date(now).toISOString(),
      route,
      deliveries,
      heldUntil: holdUntil === null ? null : new Date(holdUntil).toISOString(),
      version: 1,
    };
    return { ...record, state: stateOf(record) };
  }

  /** One pending delivery per routed channel, the task's thread and the route's e-mail list. */
  private async deliveriesFor(occurrence: Occurrence, route: Route): Promise<Delivery[]> {
    const pending = (target: string): Delivery => ({ target, status: 'pending', attempts: [] });
    const deliveries: Delivery[] = [];
    if (this.slack) {
      deliveries.push(...route.slack.map((channel) => pending(`slack:${channel}`)));
      const thread = await this.lookUpThread(occurrence.taskId);
      if (thread) deliveries.push(pending(`slack-thread:${thread.channel}:${thread.ts}`));
    }
    if (this.email && route.email.length > 0) deliveries.push(pending(this.routing.emailTarget(route.email)));
    // Slack is off: an alert meant for Slack with no e-mail of its own goes to the fallback list.
    if (!this.slack && this.email && route.slack.length > 0 && route.email.length === 0) {
      deliveries.push(pending('email:fallback'));
    }
    if (deliveries.length === 0) this.logger.warn({ kind: occurrence.kind }, 'alert has no route: stored only');
    return deliveries;
  }

  private async lookUpThread(taskId: string | null) {
    if (taskId === null || !this.threadFor) return null;
    try {
      return await this.threadFor(taskId);
    } catch (error) {
      this.logger.warn({ err: error, taskId }, 'could not find the task thread');
      return null;
    }
  }
}

/** An Error's stack (which starts with its message), else its text. */
function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) text = error.stack ?? `${error.name}: ${error.message}`;
  else text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  // Only the start is ever shown; a huge error must not make the alert invalid.
  return text.slice(0, 100_000);
}
