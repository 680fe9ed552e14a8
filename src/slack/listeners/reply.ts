import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ApprovalRecord } from '../../approvals/types.js';
import { AlreadyDecidedError, ConflictError, NotAllowedError, NotFoundError } from '../../errors.js';
import { alreadyDecidedText, noApproversText, notAllowedText } from '../blocks/index.js';

/** Who clicked where: enough to answer them privately. */
export interface Actor {
  user: string;
  channel: string | undefined;
  /** Set when Slack re-delivered the request (X-Slack-Retry-Num). */
  retried: boolean;
}

/** Tells the actor, privately, why their click changed nothing. */
export async function explainRefusal(
  client: webApi.WebClient,
  logger: Logger,
  actor: Actor,
  error: unknown,
  record?: ApprovalRecord,
): Promise<void> {
  let text: string;
  if (error instanceof AlreadyDecidedError) {
    const winner = error.approval;
    // A re-delivered copy of the click that won needs no answer: its author already sees the outcome.
    if (actor.retried && winner.decision?.decidedBy === actor.user) return;
    text = alreadyDecidedText(winner);
  } else if (error instanceof NotAllowedError && record) {
    text =
      error.reason === 'self_approval'
        ? 'You asked for this request, so you may not approve it yourself.'
        : error.reason === 'no_approvers'
          ? noApproversText()
          : notAllowedText(record);
  } else if (error instanceof ConflictError) {
    text = 'You have already voted on this request; it needs more approvers before it is decided.';
  } else if (error instanceof NotFoundError) {
    text = 'This approval request is not known to Gatehouse any more.';
  } else {
    logger.error({ err: error, user: actor.user }, 'slack action failed');
    text = 'Gatehouse could not record that: please try again in a moment.';
  }
  // A click from the App Home tab has no channel: the answer goes as a direct message instead.
  const sent = actor.channel
    ? client.chat.postEphemeral({ channel: actor.channel, user: actor.user, text })
    : client.chat.postMessage({ channel: actor.user, text });
  await sent.catch((e: unknown) => logger.warn({ err: e }, 'could not tell the user why nothing changed'));
}
