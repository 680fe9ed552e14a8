import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Announcement, ApprovalNotifier } from '../approvals/notifier.js';
import type { ApprovalRecord, MessageRef } from '../approvals/types.js';
import { maskDeep } from '../mask.js';
import { approvalOutcomeMessage, approvalRequestMessage, escalationText, reminderText } from './blocks/index.js';

/** Text leaving the process is masked: secrets pasted into a context never reach Slack. */
function masked(record: ApprovalRecord): ApprovalRecord {
  return {
    ...record,
    title: maskDeep(record.title),
    explanation: maskDeep(record.explanation),
    context: maskDeep(record.context),
    decision: record.decision && { ...record.decision, feedback: maskDeep(record.decision.feedback) },
  };
}

/** The metadata type of an approval request's message, so a retry can find a post that landed. */
export const ANNOUNCED_EVENT = 'gatehouse_approval_requested';
/** A first try comes within this of the request being stored; a later one may repeat a post. */
const FIRST_TRY_MS = 5000;

/** Posts approval requests to Slack and updates them in place with the outcome. */
export class SlackApprovalNotifier implements ApprovalNotifier {
  readonly announcesInMessage = true;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly defaultChannel: string | undefined,
    private readonly logger: Logger,
    /** A task's progress message: its approvals go in that thread (and to the channel). */
    private readonly threadFor?: (taskId: string) => Promise<MessageRef | null>,
    /** Learns approvers' e-mail addresses while Slack is reachable, for the e-mail fallback. */
    private readonly directory?: { remember(userIds: string[]): Promise<void> },
    private readonly clock: () => number = Date.now,
  ) {}

  async requested(record: ApprovalRecord): Promise<Announcement> {
    const thread = record.taskId && this.threadFor ? await this.threadFor(record.taskId).catch(() => null) : null;
    const channel = thread?.channel ?? record.channel ?? this.defaultChannel;
    if (!channel) {
      this.logger.warn({ approvalId: record.id }, 'no channel for the approval: set SLACK_APPROVALS_CHANNEL');
      return {};
    }
    // Not the first try (an answer lost to a crash or a timeout): find the post that did land.
    if (this.clock() - Date.parse(record.createdAt) > FIRST_TRY_MS) {
      const earlier = await this.findPosted(channel, record);
      if (earlier) return { message: earlier };
    }
    const message = approvalRequestMessage(masked(record));
    // The approval id rides along as message metadata, for that search.
    const metadata = { event_type: ANNOUNCED_EVENT, event_payload: { approval_id: record.id } };
    const posted = thread
      ? await this.client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          thread_ts: thread.ts,
          reply_broadcast: true,
          metadata,
        })
      : await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, metadata });
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts');
    void this.directory?.remember(record.approvers);
    return { message: { channel: posted.channel, ts: posted.ts } };
  }

  /** The request's message already in `channel` (by its metadata), if history can be read there. */
  private async findPosted(channel: string, record: ApprovalRecord): Promise<MessageRef | null> {
    try {
      const history = await this.client.conversations.history({
        channel,
        oldest: String(Date.parse(record.createdAt) / 1000 - 1),
        include_all_metadata: true,
        limit: 200,
      });
      const found = history.messages?.find(
        (m) =>
          m.metadata?.event_type === ANNOUNCED_EVENT &&
          (m.metadata.event_payload as { approval_id?: unknown } | undefined)?.approval_id === record.id,
      );
      return found?.ts ? { channel, ts: found.ts } : null;
    } catch (error) {
      // No history scope, or a channel the bot cannot read: post, at worst a second time.
      this.logger.debug({ err: error, approvalId: record.id }, 'could not look for an earlier post');
      return null;
    }
  }

  async decided(record: ApprovalRecord): Promise<void> {
    const message = approvalOutcomeMessage(masked(record));
    const where = [record.message, record.escalationMessage].filter((m): m is MessageRef => Boolean(m));
    await Promise.all(
      where.map((ref) => this.client.chat.update({ ...ref, text: message.text, blocks: message.blocks })),
    );
  }

  /** A vote short of the quorum: the request, buttons and all, with the tally. */
  async progressed(record: ApprovalRecord): Promise<void> {
    const message = approvalRequestMessage(masked(record));
    const where = [record.message, record.escalationMessage].filter((m): m is MessageRef => Boolean(m));
    await Promise.all(
      where.map((ref) => this.client.chat.update({ ...ref, text: message.text, blocks: message.blocks })),
    );
  }

  /** A reply in the request's thread mentioning the approvers. */
  async reminded(record: ApprovalRecord): Promise<void> {
    if (!record.message) return;
    await this.client.chat.postMessage({
      channel: record.message.channel,
      thread_ts: record.message.ts,
      text: reminderText(record),
    });
  }

  /** Posts the request to the escalation channel and tells the thread who was added. */
  async escalated(record: ApprovalRecord): Promise<{ escalationMessage?: MessageRef }> {
    const ladder = record.ladder;
    let escalationMessage: MessageRef | undefined;
    if (ladder?.escalation.channel) {
      const message = approvalRequestMessage(masked(record));
      const posted = await this.client.chat.postMessage({
        channel: ladder.escalation.channel,
        text: `Escalated: ${message.text}`,
        blocks: message.blocks,
      });
      if (posted.channel && posted.ts) escalationMessage = { channel: posted.channel, ts: posted.ts };
    }
    if (record.message) {
      await this.client.chat.postMessage({
        channel: record.message.channel,
        thread_ts: record.message.ts,
        text: escalationText(record),
      });
    }
    return escalationMessage ? { escalationMessage } : {};
  }
}
