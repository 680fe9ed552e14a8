import type { Logger } from 'pino';
import type { MessageRef } from '../approvals/types.js';
import type { Clock, TimerHandle } from '../clock.js';
import { withDelivery } from './attempts.js';
import type { AlertGroups } from './groups.js';
import type { PaceOutcome } from './pacing.js';
import { type AlertSlackPort, type DigestView, RateLimitedError } from './ports.js';
import type { AlertRecord, Severity } from './types.js';
import type { Work } from './work.js';

/** Groups shown by name in a digest; the rest are counted. */
export const DIGEST_TOP = 10;

/** What a digest remembers of one group it took. */
interface Member {
  id: string;
  target: string;
  title: string;
  kind: string;
  severity: Severity;
  count: number;
  /** When it joined the backlog (epoch ms). */
  at: number;
  /** Written to the record as `digest` with the digest's message. */
  marked: boolean;
}

/** One channel's storm: the groups its digest stands for, and the digest message once posted. */
interface Storm {
  channel: string;
  since: number;
  lastAt: number;
  /** By `${id}|${target}`. */
  members: Map<string, Member>;
  /** The members of each group id (a group may go to a channel and a thread in it). */
  byId: Map<string, Member[]>;
  message?: MessageRef;
  dirty: boolean;
  lastUpdate: number;
  updateTimer?: TimerHandle;
  endTimer?: TimerHandle;
  marking?: Promise<void>;
}

/** Options of a StormDigests. */
export interface StormDigestOptions {
  groups: AlertGroups;
  post(channel: string, digest: DigestView): Promise<MessageRef>;
  update(message: MessageRef, digest: DigestView): Promise<void>;
  clock: Clock;
  logger: Logger;
  work: Work;
  /** Groups a channel can take one by one within a minute; a backlog beyond it starts a digest. */
  capacity: number;
  /** Puts the channel's digest post at the head of its paced lane. */
  enqueueDigest(channel: string): void;
  /** Drops a queued single post the digest now stands for. */
  cancelPost(key: string): void;
  /** A storm ends this long after its last new group (default 5 min). */
  windowMs?: number;
  /** Least time between two updates of one digest message (default 5 s). */
  updateIntervalMs?: number;
  /** Where the whole history is (linked from the digest); asked at each render, as the public URL may follow the port. */
  historyUrl?: () => string;
}

/** Storm digests over `slack`, or null when the port cannot post them. */
export function createStormDigests(
  slack: AlertSlackPort | undefined,
  options: Omit<StormDigestOptions, 'post' | 'update'>,
): StormDigests | null {
  const post = slack?.postDigest?.bind(slack);
  const update = slack?.updateDigest?.bind(slack);
  return post && update ? new StormDigests({ ...options, post, update }) : null;
}

/** The pacer key of a channel's digest (an alert's is `${id}|${target}`, and no alert id is `digest`). */
export const digestKey = (channel: string) => `digest|${channel}`;

/** The text a digest shows (plain text with Slack-style emphasis): counts, the top groups, the link. */
export function digestText(view: DigestView): string {
  const noun = view.failing ? 'failing alert groups' : 'alert groups';
  const lines = [
    `*${view.groups} ${noun} in the last ${view.minutes} minute${view.minutes === 1 ? '' : 's'}* (${view.occurrences} alerts). Top ones by count:`,
    ...view.top.map((group) => `• ${group.title} ×${group.count}`),
  ];
  if (view.groups > view.top.length) lines.push(`…and ${view.groups - view.top.length} more`);
  if (view.historyUrl) lines.push(`Every one is in the history: ${view.historyUrl}`);
  return lines.join('\n');
}

/**
 * Storm digests: when more groups wait for one channel than it can post within a minute, the
 * channel gets ONE digest message (at the head of its lane, so within a post or two), updated in
 * place as groups come and count up, instead of a post per group queued for hours. Every group it
 * takes is written with its delivery marked `digest` and the digest's message, so the history
 * still says where each one went. The backlog is what this instance was given to post.
 */
export class StormDigests {
  /** Slack deliveries waiting for their post, per channel (key `${id}|${target}`). */
  private readonly backlog = new Map<string, Map<string, Member>>();
  private readonly storms = new Map<string, Storm>();
  private readonly windowMs: number;
  private readonly updateIntervalMs: number;

  constructor(private readonly options: StormDigestOptions) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.updateIntervalMs = options.updateIntervalMs ?? 5000;
  }

  /**
   * A Slack delivery of `record` to `channel` waits for its post. True when a digest took it (the
   * caller then posts nothing for it); false when it should be queued as usual.
   */
  absorb(record: AlertRecord, target: string, channel: string): boolean {
    const key = `${record.id}|${target}`;
    const storm = this.storms.get(channel);
    const member = memberOf(record, target, this.options.clock.now());
    if (storm) {
      this.join(storm, key, member);
      return true;
    }
    const waiting = this.backlog.get(channel) ?? new Map<string, Member>();
    this.backlog.set(channel, waiting);
    if (!waiting.has(key)) waiting.set(key, member);
    if (waiting.size <= this.options.capacity) return false;
    // Deliveries another instance ran never settle here: entries older than a storm's window are
    // those, since a real backlog that old would have started a digest long before.
    const stale = this.options.clock.now() - this.windowMs;
    for (const [old, entry] of waiting) if (entry.at < stale) waiting.delete(old);
    if (waiting.size <= this.options.capacity) return false;
    this.start(channel, waiting);
    return true;
  }

  /** The delivery behind `key` left its queue (posted, given up, fell back). */
  settled(channel: string, key: string): void {
    this.backlog.get(channel)?.delete(key);
  }

  /** A counted occurrence of a group: its digest shows the new count at its next update. */
  occurred(record: AlertRecord): void {
    for (const storm of this.storms.values()) {
      const members = storm.byId.get(record.id);
      if (!members) continue;
      for (const member of members) member.count = record.count;
      this.touch(storm);
    }
  }

  /** Posts the channel's digest (run by the pacer, at the channel's pace); a failure retries it at the head. */
  async post(channel: string): Promise<PaceOutcome> {
    const storm = this.storms.get(channel);
    if (!storm || storm.message) return { type: 'skip' };
    try {
      storm.message = await this.options.post(channel, this.view(storm));
    } catch (error) {
      if (error instanceof RateLimitedError) return { type: 'pause', ms: error.retryAfterMs };
      this.options.logger.warn({ err: error, channel }, 'could not post the storm digest; will retry');
      return { type: 'retry', ms: 1000 };
    }
    storm.lastUpdate = this.options.clock.now();
    storm.dirty = false;
    this.mark(storm);
    return { type: 'done' };
  }

  /** Disarms every timer (what was not marked yet is still pending in the store). */
  stop(): void {
    for (const storm of this.storms.values()) {
      if (storm.updateTimer !== undefined) this.options.clock.clearTimeout(storm.updateTimer);
      if (storm.endTimer !== undefined) this.options.clock.clearTimeout(storm.endTimer);
    }
    this.storms.clear();
    this.backlog.clear();
  }

  private start(channel: string, waiting: Map<string, Member>): void {
    const now = this.options.clock.now();
    const storm: Storm = {
      channel,
      since: now,
      lastAt: now,
      members: new Map(),
      byId: new Map(),
      dirty: false,
      lastUpdate: now,
    };
    this.storms.set(channel, storm);
    for (const [key, member] of waiting) {
      this.options.cancelPost(key);
      add(storm, key, member);
    }
    this.backlog.delete(channel);
    this.options.logger.warn({ channel, groups: storm.members.size }, 'alert storm: posting one digest');
    this.options.enqueueDigest(channel);
    this.armEnd(storm);
  }

  private join(storm: Storm, key: string, member: Member): void {
    const known = storm.members.get(key);
    if (known) {
      known.count = Math.max(known.count, member.count);
    } else {
      add(storm, key, member);
      storm.lastAt = this.options.clock.now();
    }
    if (storm.message) this.mark(storm);
    this.touch(storm);
  }

  /** Writes every member not marked yet as delivered by the digest; one pass at a time per storm. */
  private mark(storm: Storm): void {
    if (storm.marking || !storm.message) return;
    const message = storm.message;
    const { groups, logger, work, clock } = this.options;
    storm.marking = (async () => {
      for (let pass = [...storm.members.values()].filter((m) => !m.marked); pass.length > 0; ) {
        for (const member of pass) {
          member.marked = true;
          const at = new Date(clock.now()).toISOString();
          await groups
            .write(member.id, (current) =>
              withDelivery(current, member.target, (d) =>
                d.status === 'pending'
                  ? {
                      ...d,
                      status: 'digest',
                      message,
                      deliveredCount: current.count,
                      attempts: [...d.attempts, { at, ok: true }],
                    }
                  : d,
              ),
            )
            .catch((error: unknown) => logger.error({ err: error, alertId: member.id }, 'could not mark a digest'));
        }
        pass = [...storm.members.values()].filter((m) => !m.marked);
      }
    })().finally(() => {
      storm.marking = undefined;
    });
    void work.track(storm.marking);
  }

  /** Something the digest shows changed: one update per interval at most. */
  private touch(storm: Storm): void {
    storm.dirty = true;
    if (!storm.message || storm.updateTimer !== undefined) return;
    const { clock } = this.options;
    const wait = Math.max(0, storm.lastUpdate + this.updateIntervalMs - clock.now());
    storm.updateTimer = clock.setTimeout(() => {
      storm.updateTimer = undefined;
      void this.options.work.track(this.refresh(storm));
    }, wait);
  }

  private async refresh(storm: Storm): Promise<void> {
    if (!storm.dirty || !storm.message || this.storms.get(storm.channel) !== storm) return;
    storm.dirty = false;
    storm.lastUpdate = this.options.clock.now();
    try {
      await this.options.update(storm.message, this.view(storm));
    } catch (error) {
      this.options.logger.warn({ err: error, channel: storm.channel }, 'could not update the storm digest');
      this.touch(storm);
    }
  }

  private armEnd(storm: Storm): void {
    const { clock } = this.options;
    storm.endTimer = clock.setTimeout(
      () => {
        storm.endTimer = undefined;
        if (clock.now() - storm.lastAt < this.windowMs) this.armEnd(storm);
        else if (storm.dirty || storm.marking) this.armEndLater(storm);
        else this.storms.delete(storm.channel);
      },
      Math.max(0, storm.lastAt + this.windowMs - clock.now()),
    );
  }

  /** Waits out the last update and marking before the storm is forgotten. */
  private armEndLater(storm: Storm): void {
    storm.endTimer = this.options.clock.setTimeout(() => {
      storm.endTimer = undefined;
      this.armEnd(storm);
    }, this.updateIntervalMs);
  }

  private view(storm: Storm): DigestView {
    const members = [...storm.byId.values()].map((same) => same[0] as Member);
    const top = [...members].sort((a, b) => b.count - a.count).slice(0, DIGEST_TOP);
    const elapsed = this.options.clock.now() - storm.since;
    return {
      channel: storm.channel,
      groups: members.length,
      occurrences: members.reduce((sum, m) => sum + m.count, 0),
      minutes: Math.max(1, Math.ceil(elapsed / 60_000)),
      failing: members.every((m) => m.kind === 'failure'),
      top: top.map(({ title, count, severity }) => ({ title, count, severity })),
      historyUrl: this.options.historyUrl?.(),
    };
  }
}

function add(storm: Storm, key: string, member: Member): void {
  storm.members.set(key, member);
  const same = storm.byId.get(member.id);
  if (same) same.push(member);
  else storm.byId.set(member.id, [member]);
}

function memberOf(record: AlertRecord, target: string, at: number): Member {
  return {
    at,
    id: record.id,
    target,
    title: record.title,
    kind: record.kind,
    severity: record.severity,
    count: record.count,
    marked: false,
  };
}
