import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Announcement, ApprovalNotifier } from '../approvals/notifier.js';
import type { ApprovalRecord } from '../approvals/types.js';
import { maskDeep } from '../mask.js';
import { approvalOutcomeMessage, approvalRequestMessage } from './blocks/index.js';

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
  constructor(
    private readonly client: webApi.WebClient,
    private readonly defaultChannel: string | undefined,
    private readonly logger: Logger,
  ) {}

  async requested(record: ApprovalRecord): Promise<Announcement> {
    const channel = record.channel ?? this.defaultChannel;
    if (!channel) {
      this.logger.warn({ approvalId: record.id }, 'no channel for the approval: set SLACK_APPROVALS_CHANNEL');
      return {};
    }
    const message = approvalRequestMessage(masked(record));
    const posted = await this.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts');
    return { message: { channel: posted.channel, ts: posted.ts } };
  }

  async decided(record: ApprovalRecord): Promise<void> {
    if (!record.message) return;
    const message = approvalOutcomeMessage(masked(record));
    await this.client.chat.update({
      channel: record.message.channel,
      ts: record.message.ts,
      text: message.text,
      blocks: message.blocks,
    });
  }
}
