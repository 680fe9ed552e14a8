/** A decoded request field, as the fake Slack parses bodies (see `SlackJson` in fake-slack.ts). */
// biome-ignore lint/suspicious/noExplicitAny: the same parsed-JSON values FakeSlack records
type Json = any;

/** A fake workspace the app can be installed into through `oauth.v2.access`. */
export interface FakeWorkspace {
  teamId: string;
  teamName?: string;
  /** The OAuth code Slack's authorize page would hand back for this workspace. */
  code: string;
  /** The bot token an install issues. */
  botToken: string;
  /** The channels and users this workspace's tokens can see (`conversations.info`, `users.info`). */
  channels?: string[];
  users?: string[];
  /** Set: token rotation is on; installs and refreshes answer with this refresh token. */
  refreshToken?: string;
  /** Seconds until the token an install issues expires (with `refreshToken`; refreshed ones last 12 h). */
  expiresIn?: number;
}

interface WorkspaceState extends FakeWorkspace {
  /** Every bot token issued for this workspace, newest last. */
  tokens: string[];
}

/**
 * The workspaces of a fake Slack: OAuth installs and token refreshes (`oauth.v2.access`), and
 * what each workspace's tokens see (`auth.test` answers its team; `conversations.info` and
 * `users.info` know only its channels and users).
 */
export class FakeWorkspaces {
  private readonly all: WorkspaceState[] = [];

  add(workspace: FakeWorkspace): void {
    this.all.push({ ...workspace, tokens: [workspace.botToken] });
  }

  /** Every bot token issued for `teamId`: the install's, then one per refresh. */
  tokensOf(teamId: string): string[] {
    return [...(this.all.find((w) => w.teamId === teamId)?.tokens ?? [])];
  }

  clear(): void {
    this.all.length = 0;
  }

  /** The reply to a call, when a workspace decides it; undefined leaves it to the fake's defaults. */
  reply(method: string, body: Record<string, Json>, token: string | undefined): Record<string, unknown> | undefined {
    if (method === 'oauth.v2.access') return this.access(body);
    const workspace = this.all.find((w) => token !== undefined && w.tokens.includes(token));
    return workspace ? this.seenBy(workspace, method, body) : undefined;
  }

  /** An install (by code) or a token refresh (by refresh token), as Slack answers them. */
  private access(body: Record<string, Json>): Record<string, unknown> {
    if (!body.client_id || !body.client_secret) return { ok: false, error: 'invalid_client_id' };
    const refreshing = body.grant_type === 'refresh_token';
    const workspace = refreshing
      ? this.all.find((w) => w.refreshToken !== undefined && w.refreshToken === body.refresh_token)
      : this.all.find((w) => w.code === body.code);
    if (!workspace) return { ok: false, error: refreshing ? 'invalid_refresh_token' : 'invalid_code' };
    const token = refreshing ? `${workspace.botToken}-r${workspace.tokens.length}` : workspace.botToken;
    if (refreshing) workspace.tokens.push(token);
    // Slack's rotated tokens last 12 hours; `expiresIn` shortens only the one an install issues.
    const expiresIn = refreshing ? 43_200 : (workspace.expiresIn ?? 43_200);
    const rotation =
      workspace.refreshToken === undefined ? {} : { refresh_token: workspace.refreshToken, expires_in: expiresIn };
    return {
      ok: true,
      app_id: 'A0GATEHOUSE',
      authed_user: { id: 'U0INSTALLER' },
      scope: 'chat:write,commands',
      token_type: 'bot',
      access_token: token,
      bot_user_id: `U0BOT${workspace.teamId}`,
      team: { id: workspace.teamId, name: workspace.teamName ?? workspace.teamId },
      enterprise: null,
      is_enterprise_install: false,
      ...rotation,
    };
  }

  private seenBy(workspace: WorkspaceState, method: string, body: Record<string, Json>) {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: `https://${workspace.teamId.toLowerCase()}.slack.com/`,
          team: workspace.teamName ?? workspace.teamId,
          user: 'gatehouse',
          team_id: workspace.teamId,
          user_id: `U0BOT${workspace.teamId}`,
          bot_id: `B0BOT${workspace.teamId}`,
          is_enterprise_install: false,
        };
      case 'conversations.info':
        return workspace.channels?.includes(String(body.channel))
          ? { ok: true, channel: { id: body.channel, context_team_id: workspace.teamId } }
          : { ok: false, error: 'channel_not_found' };
      case 'users.info':
        return workspace.users?.includes(String(body.user)) ? undefined : { ok: false, error: 'user_not_found' };
      default:
        return undefined;
    }
  }
}
