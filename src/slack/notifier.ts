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
  ) {}

  async requested(record: ApprovalRecord): Promise<Announcement> {
    const thread = record.taskId && this.threadFor ? await this.threadFor(record.taskId).catch(() => null) : null;
    const channel = thread?.channel ?? record.channel ?? this.defaultChannel;
    if (!channel) {
      this.logger.warn({ approvalId: record.id }, 'no channel for the approval: set SLACK_APPROVALS_CHANNEL');
      return {};
    }
    const message = approvalRequestMessage(masked(record));
    const posted = thread
      ? await this.client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          thread_ts: thread.ts,
          reply_broadcast: true,
        })
      : await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts');
    void this.directory?.remember(record.approvers);
    return { message: { channel: posted.channel, ts: posted.ts } };
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
