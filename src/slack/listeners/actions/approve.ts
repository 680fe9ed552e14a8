import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../blocks/index.js';
import type { SlackDeps } from '../deps.js';
import { actorOf } from '../deps.js';
import { explainRefusal } from '../reply.js';

/** Approve button: one click decides, if the clicker is an approver and nobody decided first. */
export function register(app: App, { gate, logger }: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(ActionId.Approve, async ({ ack, body, action, client, context }) => {
    await ack();
    const actor = actorOf(body, context);
    try {
      await gate.decide(action.value ?? '', {
        decision: 'approve',
        decidedBy: actor.user,
        via: 'slack',
        enforceApprovers: true,
      });
    } catch (error) {
      await explainRefusal(client, logger, actor, error, await gate.get(action.value ?? '').catch(() => undefined));
    }
  });
}
