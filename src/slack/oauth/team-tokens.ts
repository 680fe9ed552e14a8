import type { InstallationQuery } from '@slack/bolt';
import type { SlackTeam } from '../clients.js';
import { installationKey } from './installations.js';

/** What Bolt's installer answers for a team: its bot token and, with token rotation, when it expires. */
export interface TeamAuthorization {
  botToken?: string;
  /** Seconds since the epoch. */
  botTokenExpiresAt?: number;
}

/** Bolt's installer refreshes a rotating token once it expires within this window. */
const REFRESH_WINDOW_MS = 2 * 3600_000;
/** How long a token is reused without asking the store again (an uninstall elsewhere shows within this). */
const REUSE_MS = 60_000;

/**
 * Each team's bot token for calls Gatehouse makes on its own (posting a request, completing a
 * workflow step), through Bolt's installer `authorize` — the same path incoming requests take, so
 * an expiring rotated token is refreshed (`oauth.v2.access`, `grant_type=refresh_token`) and the
 * new one stored. Concurrent calls for a team share one lookup, so a refresh happens once.
 */
export class TeamTokens {
  private readonly cache = new Map<string, { token: Promise<string>; until: number }>();

  constructor(
    private readonly authorize: (query: InstallationQuery<boolean>) => Promise<TeamAuthorization>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The team's bot token; rejects when Gatehouse is not installed there. */
  token(team: SlackTeam): Promise<string> {
    const key = installationKey(team);
    const hit = this.cache.get(key);
    if (hit && hit.until > this.now()) return hit.token;
    const entry: { token: Promise<string>; until: number } = { token: Promise.resolve(''), until: 0 };
    entry.until = this.now() + REUSE_MS;
    entry.token = this.lookUp(team, entry);
    this.cache.set(key, entry);
    // A failed lookup is not remembered: the next call asks again.
    void entry.token.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    return entry.token;
  }

  /** Drops a team's cached token (it was uninstalled or revoked). */
  forget(team: SlackTeam): void {
    this.cache.delete(installationKey(team));
  }

  private async lookUp(team: SlackTeam, entry: { until: number }): Promise<string> {
    const result = await this.authorize({
      teamId: team.teamId,
      enterpriseId: team.enterpriseId,
      isEnterpriseInstall: team.isEnterpriseInstall ?? false,
    } as InstallationQuery<boolean>);
    if (!result.botToken) throw new Error(`the Slack installation of ${installationKey(team)} has no bot token`);
    if (result.botTokenExpiresAt !== undefined) {
      entry.until = Math.min(entry.until, result.botTokenExpiresAt * 1000 - REFRESH_WINDOW_MS);
    }
    return result.botToken;
  }
}
