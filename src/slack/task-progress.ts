import type { webApi } from '@slack/bolt';
import { type Logger, pino } from 'pino';
import type { MessageRef } from '../approvals/types.js';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import type { TaskObserver, TaskView } from '../tasks/types.js';
import { taskProgressMessage } from './blocks/task-progress.js';

export interface SlackTaskProgressOptions {
  client: webApi.WebClient;
  /** Where progress goes when a task names no channel, or its own refuses the post (the approvals channel). */
  defaultChannel?: string;
  logger?: Logger;
  clock?: Clock;
  /** Least time between two updates of one message; default 1000 ms (Slack allows about one a second). */
  intervalMs?: number;
}

/** One task's message: where it is, what it should show, and what is under way. */
interface Progress {
  ref: MessageRef | null;
  posting: Promise<MessageRef | null> | null;
  latest: TaskView;
  /** `latest` is not shown yet. */
  dirty: boolean;
  timer: TimerHandle | null;
  lastSentAt: number;
  /** Posts and updates of this message, one after the other. */
  chain: Promise<void>;
}

/**
 * One Slack message per task, posted when it starts and updated in place (chat.update) as its
 * stages pass, at most once per `intervalMs`: changes in between are folded into one update that
 * shows the latest state. Failures are logged; the task never waits for Slack.
 */
export class SlackTaskProgress implements TaskObserver {
  private readonly client: webApi.WebClient;
  private readonly defaultChannel: string | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly tasks = new Map<string, Progress>();

  constructor({ client, defaultChannel, logger, clock = systemClock, intervalMs = 1000 }: SlackTaskProgressOptions) {
    this.client = client;
    this.defaultChannel = defaultChannel;
    this.logger = logger ?? pino({ level: 'silent' });
    this.clock = clock;
    this.intervalMs = intervalMs;
  }

  async taskStarted(task: TaskView): Promise<MessageRef | null> {
    const progress = this.track(task);
    if (progress.ref) {
      this.schedule(progress);
      return progress.ref;
    }
    if (!progress.posting) {
      const posting = this.post(progress);
      progress.posting = posting;
      progress.chain = progress.chain.then(() => posting.then(() => {}));
    }
    return progress.posting;
  }

  stageStarted(task: TaskView): void {
    this.changed(task);
  }

  stageCompleted(task: TaskView): void {
    this.changed(task);
  }

  approvalRequested(task: TaskView): void {
    this.changed(task);
  }

  taskFinished(task: TaskView): void {
    this.changed(task);
  }

  /** Resolves once every scheduled update has been sent (for tests and shutdown). */
  async flush(): Promise<void> {
    for (const progress of [...this.tasks.values()]) {
      if (progress.timer) {
        this.clock.clearTimeout(progress.timer);
        progress.timer = null;
        this.enqueueSend(progress);
      }
      await progress.chain;
    }
  }

  private track(task: TaskView): Progress {
    let progress = this.tasks.get(task.id);
    if (!progress) {
      progress = {
        ref: task.message,
        posting: null,
        latest: task,
        dirty: true,
        timer: null,
        lastSentAt: Number.NEGATIVE_INFINITY,
        chain: Promise.resolve(),
      };
      this.tasks.set(task.id, progress);
    }
    progress.latest = task;
    progress.dirty = true;
    progress.ref ??= task.message;
    return progress;
  }

  private changed(task: TaskView): void {
    const progress = this.track(task);
    // A task with no message that nobody started here (found interrupted at boot): nothing to update.
    if (!progress.ref && !progress.posting) {
      this.tasks.delete(task.id);
      return;
    }
    this.schedule(progress);
  }

  private schedule(progress: Progress): void {
    if (progress.timer) return;
    const wait = Math.max(0, progress.lastSentAt + this.intervalMs - this.clock.now());
    progress.timer = this.clock.setTimeout(() => {
      progress.timer = null;
      this.enqueueSend(progress);
    }, wait);
  }

  private enqueueSend(progress: Progress): void {
    progress.chain = progress.chain.then(() => this.send(progress));
  }

  private async post(progress: Progress): Promise<MessageRef | null> {
    const task = progress.latest;
    const channels = [...new Set([task.channel ?? this.defaultChannel, this.defaultChannel])].filter(
      (channel): channel is string => Boolean(channel),
    );
    if (channels.length === 0) {
      this.logger.warn({ taskId: task.id }, 'no channel for the task progress: set SLACK_APPROVALS_CHANNEL');
      this.tasks.delete(task.id);
      return null;
    }
    for (const channel of channels) {
      try {
        const message = taskProgressMessage(task);
        progress.dirty = false;
        progress.lastSentAt = this.clock.now();
        const posted = await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
        if (!posted.channel || !posted.ts) throw new Error('chat.postMessage answered without channel and ts');
        progress.ref = { channel: posted.channel, ts: posted.ts };
        // Changes that came in while posting are shown by the next update.
        if (progress.latest !== task) progress.dirty = true;
        if (progress.dirty) this.schedule(progress);
        return progress.ref;
      } catch (err) {
        progress.dirty = true;
        // A command from a channel the bot is not in: the default channel takes the message.
        this.logger.warn({ err, taskId: task.id, channel }, 'could not post the task progress');
      }
    }
    this.tasks.delete(task.id);
    return null;
  }

  private async send(progress: Progress): Promise<void> {
    const task = progress.latest;
    if (!progress.ref || !progress.dirty) return this.forget(progress);
    const message = taskProgressMessage(task);
    progress.dirty = false;
    progress.lastSentAt = this.clock.now();
    try {
      await this.client.chat.update({ ...progress.ref, text: message.text, blocks: message.blocks });
    } catch (err) {
      this.logger.warn({ err, taskId: task.id }, 'could not update the task progress');
    }
    if (progress.latest !== task) progress.dirty = true;
    this.forget(progress);
  }

  /** A finished task whose last state is shown needs no more tracking. */
  private forget(progress: Progress): void {
    const { latest } = progress;
    if (progress.dirty || progress.timer || latest.status === 'running') return;
    if (this.tasks.get(latest.id) === progress) this.tasks.delete(latest.id);
  }
}
