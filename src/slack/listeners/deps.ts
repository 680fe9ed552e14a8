import type { BlockAction, Context } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ApprovalGate } from '../../approvals/gate.js';
import type { Actor } from './reply.js';

/** What the Slack listeners hand their work to. */
export interface SlackDeps {
  gate: ApprovalGate;
  logger: Logger;
}

/** The clicking user, their channel, and whether Slack re-delivered the click. */
export function actorOf(body: BlockAction, context: Context): Actor {
  return {
    user: body.user.id,
    channel: body.channel?.id ?? body.container?.channel_id,
    retried: (context.retryNum ?? 0) > 0,
  };
}
