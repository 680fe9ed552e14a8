import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';

/** Slack as Gatehouse last found it: reachable, unreachable, not configured, or refusing the token. */
export type SlackState = 'ok' | 'down' | 'off' | 'invalid_auth';

/** Slack's state and a sentence about it, for `/healthz`, `/readyz` and logs. Never holds a secret. */
export interface SlackStatus {
  state: SlackState;
  detail: string;
}

/** Who the bot is, once Slack said so (`auth.test`); Bolt's `authorize` reads it. */
export interface BotIdentity {
  botId?: string;
  botUserId?: string;
  teamId?: string;
}

/** Options of SlackConnection; everything but `client` and `logger` has a default. */
export interface SlackConnectionOptions {
  /** The bot's Web API client (its token is SLACK_BOT_TOKEN). */
  client: webApi.WebClient;
  logger: Logger;
  /** Filled in when `auth.test` answers. */
  identity?: BotIdentity;
  /** Opens the Socket Mode connection (SLACK_APP_TOKEN), after the bot token checked out. */
  connect?: () => Promise<unknown>;
  /** Where the Web API is, named in the line logged when it cannot be reached. */
  apiUrl?: string;
  clock?: Clock;
  /** First retry delay; doubled after each failure up to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** While Slack is fine, the token is checked again this often (it may be revoked). */
  recheckMs?: number;
}

/** Slack's answers that mean the token itself is wrong: retrying will not help until it is replaced. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'invalid_token',
]);

/**
 * Watches Slack without ever taking the process down: checks the bot token (`auth.test`), then
 * opens Socket Mode when configured, retrying with backoff (every timer unref'd). Each change of
 * state is one log line saying what is wrong, which variable, and how to fix it; the API,
 * e-mail and the store carry on meanwhile.
 */
export class SlackConnection {
  private readonly clock: Clock;
  private readonly identity: BotIdentity;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly recheckMs: number;
  private current: SlackStatus = { state: 'down', detail: 'not checked yet' };
  private connected = false;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private checking: Promise<SlackStatus> | undefined;

  constructor(private readonly options: SlackConnectionOptions) {
    this.clock = options.clock ?? systemClock;
    this.identity = options.identity ?? {};
    this.minDelayMs = options.minDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.recheckMs = options.recheckMs ?? 5 * 60_000;
  }

  /** Slack's state as last found. */
  status(): SlackStatus {
    return { ...this.current };
  }

  /** Whether the Socket Mode connection was opened (always false in HTTP mode). */
  get socketOpen(): boolean {
    return this.connected;
  }

  /** Starts checking; resolves after the first check, whatever it found (it never rejects). */
  start(): Promise<SlackStatus> {
    this.stopped = false;
    return this.check();
  }

  /** Stops retrying and rechecking. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Checks now (joining a check under way), then schedules the next one. Never rejects. */
  check(): Promise<SlackStatus> {
    this.checking ??= this.attempt().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async attempt(): Promise<SlackStatus> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      const answer = await this.options.client.auth.test();
      this.identity.botId = answer.bot_id;
      this.identity.botUserId = answer.user_id;
      this.identity.teamId = answer.team_id;
    } catch (error) {
      return this.failed(error, 'SLACK_BOT_TOKEN');
    }
    if (this.options.connect && !this.connected) {
      try {
        await this.options.connect();
        this.connected = true;
      } catch (error) {
        return this.failed(error, 'SLACK_APP_TOKEN');
      }
    }
    const team = this.identity.teamId ? ` (team ${this.identity.teamId})` : '';
    if (this.current.state !== 'ok') {
      this.options.logger.info({ component: 'slack' }, `Slack is reachable and the bot token is valid${team}`);
    }
    this.failures = 0;
    this.current = { state: 'ok', detail: `connected${team}` };
    this.schedule(this.recheckMs);
    return this.status();
  }

  private failed(error: unknown, variable: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN'): SlackStatus {
    this.failures += 1;
    const delay = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** (this.failures - 1));
    const next = { ...describeFailure(error, variable, this.options.apiUrl), retryInMs: delay };
    const changed = next.state !== this.current.state || next.detail !== this.current.detail;
    this.current = { state: next.state, detail: next.detail };
    if (changed) {
      const retry = `Retrying with backoff (next in ${Math.round(delay / 1000)} s); the API, e-mail and the store keep working.`;
      this.options.logger.error({ component: 'slack', slack: next.state }, `${next.detail} ${next.fix} ${retry}`);
    }
    this.schedule(delay);
    return this.status();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.check(), ms);
  }
}

/** What an error from the Web API means, in words: the state, what is wrong, and the fix. */
export function describeFailure(
  error: unknown,
  variable: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN',
  apiUrl?: string,
): { state: Exclude<SlackState, 'ok' | 'off'>; detail: string; fix: string } {
  const e = error as {
    code?: string;
    data?: { error?: string };
    original?: { code?: string; message?: string; cause?: { code?: string } };
  };
  const slackError = e?.data?.error;
  if (typeof slackError === 'string' && AUTH_ERRORS.has(slackError)) {
    const where =
      variable === 'SLACK_BOT_TOKEN'
        ? 'the Bot User OAuth Token (xoxb-…) from the app’s "OAuth & Permissions" page'
        : 'an app-level token (xapp-…) with connections:write from the app’s "Basic Information" page';
    return {
      state: 'invalid_auth',
      detail: `Slack refused ${variable} (${slackError}): the token is wrong, revoked, or lacks a scope.`,
      fix: `Put ${where} in ${variable} (reinstall the app if it was removed) and restart Gatehouse.`,
    };
  }
  // A fetch failure hides the reason one level down (`fetch failed` ← ECONNREFUSED).
  const cause =
    slackError ??
    e?.original?.cause?.code ??
    e?.original?.code ??
    e?.original?.message ??
    (error instanceof Error ? error.message : 'unknown error');
  return {
    state: 'down',
    detail: `Slack could not be reached${apiUrl ? ` at ${apiUrl}` : ''} (${cause}).`,
    fix: 'Check the network and SLACK_API_URL (leave it unset for Slack itself).',
  };
}
