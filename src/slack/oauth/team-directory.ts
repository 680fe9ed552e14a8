import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { SlackTeam } from '../clients.js';
import type { StoredInstallations } from './installations.js';
import type { TeamTokens } from './team-tokens.js';

/** Asks one team's Web API whether it knows a channel or user (`conversations.info` / `users.info`). */
export type AskTeam = (
  method: 'conversations.info' | 'users.info',
  args: Record<string, string>,
  token: string,
) => Promise<unknown>;

/**
 * Which workspace a channel or user belongs to. Slack ids are unique across workspaces, so an
 * approval's team follows from its channel: learned from every signed request Slack sends (a
 * click in C… from team T…), from every message Gatehouse posts, and otherwise asked of each
 * installed team once and remembered in the store.
 */
export class TeamDirectory {
  constructor(
    private readonly cache: Keyv,
    private readonly installations: Pick<StoredInstallations, 'installed'>,
    private readonly tokens: Pick<TeamTokens, 'token'>,
    private readonly ask: AskTeam,
    private readonly logger: Logger,
  ) {}

  /** Remembers that `id` (a channel or user id) lives in `team`. */
  async remember(kind: 'channel' | 'user', id: string, team: SlackTeam): Promise<void> {
    if (!team.teamId && !team.enterpriseId) return;
    const key = `${kind}:${id}`;
    const known = (await this.cache.get(key)) as SlackTeam | undefined;
    if (known?.teamId === team.teamId && known?.enterpriseId === team.enterpriseId) return;
    await this.cache.set(key, team);
  }

  /** The team a Web API call's arguments point at: its channel's, else its user's, else the only one installed. */
  async teamFor(method: string, args: Record<string, unknown>): Promise<SlackTeam> {
    const channel = typeof args.channel === 'string' ? args.channel : undefined;
    const user = [args.user, args.user_id].find((v): v is string => typeof v === 'string');
    if (channel && !/^[UW]/.test(channel)) return this.lookUp('channel', channel);
    // A DM is posted to the user id itself.
    if (channel ?? user) return this.lookUp('user', (channel ?? user) as string);
    const installed = await this.installations.installed();
    if (installed.length === 1 && installed[0]) return installed[0].team;
    throw new Error(`cannot tell which Slack workspace ${method} is for: it names no channel or user`);
  }

  private async lookUp(kind: 'channel' | 'user', id: string): Promise<SlackTeam> {
    const cached = (await this.cache.get(`${kind}:${id}`)) as SlackTeam | undefined;
    if (cached) return cached;
    const installed = await this.installations.installed();
    for (const { team } of installed) {
      const found = await this.asks(kind, id, team);
      if (found) {
        await this.remember(kind, id, team);
        return team;
      }
    }
    throw new Error(`${kind} ${id} is in no Slack workspace Gatehouse is installed in (${installed.length} installed)`);
  }

  private async asks(kind: 'channel' | 'user', id: string, team: SlackTeam): Promise<boolean> {
    try {
      const token = await this.tokens.token(team);
      if (kind === 'channel') await this.ask('conversations.info', { channel: id }, token);
      else await this.ask('users.info', { user: id }, token);
      return true;
    } catch (error) {
      this.logger.debug({ err: error, [kind]: id, teamId: team.teamId }, 'not in this Slack workspace');
      return false;
    }
  }
}

/** The channel and user a signed Slack request came from, wherever its payload kind keeps them. */
export function whereFrom(body: unknown): { channel?: string; user?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const pick = (...values: unknown[]) => values.find((v): v is string => typeof v === 'string' && v.length > 0);
  const field = (value: unknown, key: string) =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return {
    channel: pick(field(b.channel, 'id'), b.channel_id, field(b.container, 'channel_id'), field(b.event, 'channel')),
    user: pick(field(b.user, 'id'), b.user_id, field(b.event, 'user')),
  };
}
