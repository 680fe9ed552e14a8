import { alertIndexes } from '../../src/alerts/groups.js';
import { AlertManager, type AlertManagerOptions } from '../../src/alerts/manager.js';
import type { AlertEmailPort, AlertSlackPort, DigestView } from '../../src/alerts/ports.js';
import type { RoutesFile } from '../../src/alerts/routes-file.js';
import { createRouter } from '../../src/alerts/routing.js';
import type { AlertRecord, DeliveryAttempt } from '../../src/alerts/types.js';
import type { MessageRef } from '../../src/approvals/types.js';
import type { Clock } from '../../src/clock.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { RecordStore } from '../../src/store/types.js';
import { ManualClock } from '../support/manual-clock.js';

export const CHANNELS = { alerts: 'C0ALERTS', monitoring: 'C0MONITOR', status: 'C0STATUS' };
export const TEAM = ['team@example.com'];
export const OWNER = ['owner@example.com'];

/** A Slack port that records every call; `fail` decides, per call, whether to throw instead. */
export class RecordingSlack implements AlertSlackPort {
  posts: Array<{ channel: string; threadTs?: string; alert: AlertRecord; at: number; ref: MessageRef }> = [];
  updates: Array<{ message: MessageRef; alert: AlertRecord; at: number }> = [];
  /** Tried posts, failed ones included. */
  tries: Array<{ channel: string; at: number }> = [];
  /** Errors thrown by the next posts, one each, before `fail` is asked. */
  nextErrors: Error[] = [];
  fail: (channel: string) => Error | undefined = () => undefined;
  failUpdate: () => Error | undefined = () => undefined;

  constructor(private readonly clock: Clock) {}

  async post(channel: string, alert: AlertRecord, options?: { threadTs?: string }): Promise<MessageRef> {
    this.tries.push({ channel, at: this.clock.now() });
    const error = this.nextErrors.shift() ?? this.fail(channel);
    if (error) throw error;
    const ref = { channel, ts: `1700000000.${String(this.posts.length + 1).padStart(6, '0')}` };
    this.posts.push({
      channel,
      ...(options?.threadTs ? { threadTs: options.threadTs } : {}),
      alert,
      at: this.clock.now(),
      ref,
    });
    return ref;
  }

  async update(message: MessageRef, alert: AlertRecord): Promise<void> {
    const error = this.failUpdate();
    if (error) throw error;
    this.updates.push({ message, alert, at: this.clock.now() });
  }

  digests: Array<{ channel: string; digest: DigestView; at: number; ref: MessageRef }> = [];
  digestUpdates: Array<{ message: MessageRef; digest: DigestView; at: number }> = [];

  async postDigest(channel: string, digest: DigestView): Promise<MessageRef> {
    this.tries.push({ channel, at: this.clock.now() });
    const ref = { channel, ts: `1700000001.${String(this.digests.length + 1).padStart(6, '0')}` };
    this.digests.push({ channel, digest, at: this.clock.now(), ref });
    return ref;
  }

  async updateDigest(message: MessageRef, digest: DigestView): Promise<void> {
    this.digestUpdates.push({ message, digest, at: this.clock.now() });
  }
}

/** An e-mail port that records every send; `result` decides what it answers. */
export class RecordingEmail implements AlertEmailPort {
  sends: Array<{ to: string[]; alert: AlertRecord; fallback: boolean; at: number }> = [];
  result: () => { ok: boolean; attempts: DeliveryAttempt[]; error?: string } = () => ({
    ok: true,
    attempts: [{ at: new Date(this.clock.now()).toISOString(), ok: true }],
  });

  constructor(private readonly clock: Clock) {}

  async send(to: string[], alert: AlertRecord, options?: { fallback?: boolean }) {
    this.sends.push({ to, alert, fallback: options?.fallback ?? false, at: this.clock.now() });
    return this.result();
  }
}

export interface SetupOptions extends Partial<Omit<AlertManagerOptions, 'routing'>> {
  routes?: RoutesFile;
  clock?: ManualClock;
  store?: RecordStore<AlertRecord>;
}

/** A manager on a manual clock and a memory store, with recording ports and the default routes. */
export function setup(options: SetupOptions = {}) {
  const { routes, ...rest } = options;
  const clock = options.clock ?? new ManualClock();
  const store = options.store ?? new MemoryStore().records<AlertRecord>('alerts', alertIndexes);
  const slack = new RecordingSlack(clock);
  const email = new RecordingEmail(clock);
  const routing = createRouter({ channels: CHANNELS, email: { team: TEAM, owner: OWNER }, routes });
  let ids = 0;
  const alerts = new AlertManager({
    store,
    slack,
    email,
    routing,
    newId: () => `alert-${++ids}`,
    // The storm tests count updates on a 2-second rhythm.
    updateIntervalMs: 2000,
    updateSpacingMs: 0,
    ...rest,
    clock,
  });
  return { clock, store, slack, email, routing, alerts };
}

/** The stored delivery to `target`. */
export async function deliveryOf(store: RecordStore<AlertRecord>, id: string, target: string) {
  return (await store.get(id))?.deliveries.find((d) => d.target === target);
}
