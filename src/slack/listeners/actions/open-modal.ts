import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { ApprovalRecord, MessageRef } from '../../../approvals/types.js';
import { AlreadyDecidedError } from '../../../errors.js';
import { ActionId, changesModal, rejectModal } from '../../blocks/index.js';
import { actorOf, type SlackDeps } from '../deps.js';
import { explainRefusal } from '../reply.js';

type ModalBuilder = typeof rejectModal;

/**
 * Reject and Approve-with-changes buttons open a modal (within the 3 s trigger window), unless
 * the clicker may not decide or the request is already decided: then they are told why.
 */
function opensModal(app: App, { gate, logger }: SlackDeps, actionId: string, build: ModalBuilder): void {
  app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, context }) => {
    await ack();
    const actor = actorOf(body, context);
    let record: ApprovalRecord | undefined;
    try {
      record = await gate.get(action.value ?? '');
      if (record.status !== 'pending') throw new AlreadyDecidedError('already decided', record);
      await gate.assertMayDecide(record, actor.user);
      const messageRef: MessageRef | null =
        body.container?.channel_id && body.container?.message_ts
          ? { channel: body.container.channel_id, ts: body.container.message_ts }
          : record.message;
      await client.views.open({ trigger_id: body.trigger_id, view: build(record, messageRef) });
    } catch (error) {
      await explainRefusal(client, logger, actor, error, record);
    }
  });
}

export function register(app: App, deps: SlackDeps): void {
  opensModal(app, deps, ActionId.Reject, rejectModal);
  opensModal(app, deps, ActionId.ApproveWithChanges, changesModal);
}
