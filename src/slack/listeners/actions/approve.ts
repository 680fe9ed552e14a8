import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { GrantDuration } from '../../../approvals/types.js';
import { ActionId } from '../../blocks/index.js';
import type { SlackDeps } from '../deps.js';
import { actorOf } from '../deps.js';
import { explainRefusal } from '../reply.js';

/** The one-click approvals: a plain Approve, and the two that also grant later matching requests. */
const APPROVE_BUTTONS: Array<{ actionId: string; grant?: GrantDuration }> = [
  { actionId: ActionId.Approve },
  { actionId: ActionId.ApproveForRun, grant: 'run' },
  { actionId: ActionId.ApproveForHour, grant: '1h' },
];

/** Approve buttons: one click decides, if the clicker is an approver and nobody decided first. */
export function register(app: App, { gate, logger }: SlackDeps): void {
  for (const { actionId, grant } of APPROVE_BUTTONS) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, context }) => {
      await ack();
      const actor = actorOf(body, context);
      try {
        await gate.decide(action.value ?? '', {
          decision: 'approve',
          decidedBy: actor.user,
          via: 'slack',
          enforceApprovers: true,
          ...(grant ? { grant } : {}),
        });
      } catch (error) {
        await explainRefusal(client, logger, actor, error, await gate.get(action.value ?? '').catch(() => undefined));
      }
    });
  }
}
