import type { App } from '@slack/bolt';
import type { DecisionInput } from '../../../approvals/types.js';
import { decodeModalMetadata, parseChangesSubmission, parseRejectSubmission, ViewId } from '../../blocks/index.js';
import type { SlackDeps } from '../deps.js';
import { explainRefusal } from '../reply.js';

/**
 * Reject and Approve-with-changes modals: input errors are shown in the modal itself; a valid
 * submission closes it and decides. The decision is checked against the approvers again here, as
 * a modal can be submitted long after it was opened.
 */
export function register(app: App, { gate, logger }: SlackDeps): void {
  app.view(ViewId.Reject, async ({ ack, body, view }) => {
    const { reason } = parseRejectSubmission(view.state.values);
    await ack();
    await decideFromModal(view.private_metadata, body.user.id, { decision: 'reject', feedback: reason });
  });

  app.view(ViewId.Changes, async ({ ack, body, view }) => {
    const meta = decodeModalMetadata(view.private_metadata);
    const record = meta ? await gate.get(meta.approvalId).catch(() => undefined) : undefined;
    const parsed = parseChangesSubmission(view.state.values, record);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors });
      return;
    }
    await ack();
    await decideFromModal(view.private_metadata, body.user.id, {
      decision: 'approve',
      modifications: parsed.modifications,
      feedback: parsed.feedback,
    });
  });

  async function decideFromModal(
    privateMetadata: string,
    user: string,
    input: Pick<DecisionInput, 'decision' | 'feedback' | 'modifications'>,
  ): Promise<void> {
    const meta = decodeModalMetadata(privateMetadata);
    if (!meta) {
      logger.warn({ user }, 'modal submitted without readable metadata');
      return;
    }
    try {
      await gate.decide(meta.approvalId, { ...input, decidedBy: user, via: 'slack', enforceApprovers: true });
    } catch (error) {
      const record = await gate.get(meta.approvalId).catch(() => undefined);
      await explainRefusal(
        app.client,
        logger,
        { user, channel: meta.channel ?? undefined, retried: false },
        error,
        record,
      );
    }
  }
}
