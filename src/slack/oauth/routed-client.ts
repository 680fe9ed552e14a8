import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackTeam } from '../clients.js';

/** Finds the team a call is for and that team's token. */
export interface CallRouting {
  teamFor(method: string, args: Record<string, unknown>): Promise<SlackTeam>;
  token(team: SlackTeam): Promise<string>;
  remember(kind: 'channel', id: string, team: SlackTeam): Promise<void>;
}

/**
 * A Web API client for many workspaces: each call without a token of its own is sent with the
 * bot token of the team its channel (or user) belongs to. Handed to the parts that post on their
 * own — approval messages, task progress, the Home tab — in place of a single-token client, so
 * they need not know how many workspaces there are.
 */
export class TeamRoutedClient extends webApi.WebClient {
  constructor(
    private readonly routing: CallRouting,
    private readonly routeLogger: Logger,
    options: webApi.WebClientOptions = {},
  ) {
    super(undefined, options);
  }

  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<webApi.WebAPICallResult> {
    if (typeof options.token === 'string') return super.apiCall(method, options);
    const team = await this.routing.teamFor(method, options);
    const result = await super.apiCall(method, { ...options, token: await this.routing.token(team) });
    // A post to a user id lands in a DM channel: later updates of it name that channel.
    const channel = (result as { channel?: unknown }).channel;
    if (typeof channel === 'string') {
      await this.routing
        .remember('channel', channel, team)
        .catch((error: unknown) => this.routeLogger.warn({ err: error }, 'could not remember a channel'));
    }
    return result;
  }
}
