import { z } from 'zod';
import { ConfigError, type FieldIssue } from './errors.js';

/** Everything Gatehouse reads from the environment, validated. */
export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  /** False when PUBLIC_URL is not set: `publicUrl` then follows the port the server really listens on. */
  publicUrlConfigured: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  storeUrl: string;
  /** How long an instance holds a claimed effect before another may take it over (its crash costs this much delay). */
  effectLeaseSeconds: number;
  /** Bearer token of the HTTP API; without one the API answers loopback clients only. */
  apiToken: string | undefined;
  /** Key of the signature on callback POSTs; defaults to the API token, which callers already hold. */
  callbackSecret: string | undefined;
  /** Null when Slack is off (no bot token). */
  slack: SlackConfig | null;
  /** Many workspaces through OAuth install instead of one bot token; null unless SLACK_CLIENT_ID is set. */
  slackOAuth: SlackOAuthConfig | null;
  channels: { approvals?: string; alerts?: string; monitoring?: string; status?: string };
  /** Default approvers: Slack user ids and user-group ids (`S…`); empty means nobody may decide. */
  approvers: string[];
  /** ALLOW_ANY_APPROVER=true: a request with no approvers may be decided by anyone who sees it. */
  allowAnyApprover: boolean;
  approvalTimeoutSeconds: number;
  /** The timeout ladder and quorum defaults of requests that name none. */
  approvalLadder: {
    remindAtPercent: number | null;
    escalateAtPercent: number | null;
    escalation: { channel: string | null; approvers: string[] };
    onTimeout: 'timeout' | 'approve' | 'keep-waiting';
    allowSelfApproval: boolean;
  };
  /** Null when e-mail is off (no SMTP_URL). */
  email: EmailConfig | null;
  anthropic: { apiKey?: string; baseUrl?: string; model: string; fallbackModel?: string };
  alerts: AlertsConfig;
  /** Sign-in to the web app: e-mail addresses of approvers without Slack, Slack's OpenID Connect app. */
  web: WebConfig;
}

export interface WebConfig {
  /** Address (lower case) → Slack user id, for sign-in links when Slack is off (APPROVER_EMAILS). */
  approverEmails: Record<string, string>;
  /** "Sign in with Slack": the app's client id and secret (both or neither). */
  slackClientId?: string;
  slackClientSecret?: string;
}

export interface AlertsConfig {
  /** Optional YAML routing file, validated at start. */
  routesFile?: string;
  /** Same alert within this window: one message with a counter. */
  dedupWindowSeconds: number;
  /** A cost warning is sent past this percentage of the budget. */
  costWarningPercent: number;
  /** When Slack keeps failing this long after the first failure, the alert goes by e-mail. */
  emailFallbackSeconds: number;
  /** How long an alert that reached neither Slack nor e-mail is retried before it is marked undelivered. */
  deliveryHorizonSeconds: number;
}

export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  /** Set: Socket Mode instead of the HTTP request URL. */
  appToken?: string;
  apiUrl?: string;
}

/** OAuth install into many workspaces (`/slack/install`); tokens live in the store, one per team. */
export interface SlackOAuthConfig {
  clientId: string;
  clientSecret: string;
  /** Signs the OAuth `state` parameter, so a redirect Gatehouse did not start is refused. */
  stateSecret: string;
  signingSecret: string;
  apiUrl?: string;
}

export interface EmailConfig {
  smtpUrl: string;
  from: string;
  team: string[];
  owner: string[];
  approvalTo: string[];
}

/** A current model from the SDK's list (not one it warns is deprecated); the fallback is cheaper. */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/** Trims, and treats an empty value as missing (as the Anthropic SDK's readEnv does). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }, schema.optional());

const list = <T extends z.ZodType>(item: T, what: string) =>
  optional(z.string()).transform((value, ctx) => {
    const items = (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const parsed: z.infer<T>[] = [];
    for (const entry of items) {
      const result = item.safeParse(entry);
      if (result.success) parsed.push(result.data);
      else ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)} is not ${what}` });
    }
    return parsed;
  });

const slackApproverId = z.string().regex(/^[UWS][A-Z0-9]{2,}$/);
const slackChannelId = optional(
  z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a channel id like C0123ABCD (not a #name)'),
);
const email = z.email();
/** A percentage of the timeout, or `off`. */
const percentOrOff = optional(
  z.union([z.literal('off'), z.coerce.number().gt(0).lt(100)], 'expected a percentage between 0 and 100, or off'),
);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

const schema = z
  .object({
    HOST: optional(z.string()).default('0.0.0.0'),
    PORT: optional(z.coerce.number().int().min(0).max(65535)).default(3000),
    PUBLIC_URL: optional(httpUrl),
    LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])).default('info'),
    STORE_URL: optional(
      z
        .string()
        .regex(
          /^(sqlite|memory|postgres|postgresql|redis):\/\//,
          'expected sqlite://path/to/file.sqlite, postgres://…, redis://… (or memory:// for tests)',
        ),
    ).default('sqlite://data/gatehouse.sqlite'),
    EFFECT_LEASE_SECONDS: optional(z.coerce.number().int().min(1).max(3600)).default(30),
    GATEHOUSE_API_TOKEN: optional(z.string().min(16, 'must be at least 16 characters')),
    CALLBACK_SECRET: optional(z.string().min(16, 'must be at least 16 characters')),
    SLACK_BOT_TOKEN: optional(z.string().startsWith('xoxb-', 'expected a bot token starting with xoxb-')),
    SLACK_SIGNING_SECRET: optional(z.string().min(8, 'looks too short for a signing secret')),
    SLACK_APP_TOKEN: optional(z.string().startsWith('xapp-', 'expected an app-level token starting with xapp-')),
    SLACK_API_URL: optional(httpUrl),
    SLACK_CLIENT_ID: optional(z.string().regex(/^\d+\.\d+$/, 'expected a client id like 1234567890.0987654321')),
    SLACK_CLIENT_SECRET: optional(z.string().min(16, 'looks too short for a client secret')),
    SLACK_STATE_SECRET: optional(z.string().min(16, 'must be at least 16 characters')),
    SLACK_APPROVALS_CHANNEL: slackChannelId,
    SLACK_ALERTS_CHANNEL: slackChannelId,
    SLACK_MONITORING_CHANNEL: slackChannelId,
    SLACK_STATUS_CHANNEL: slackChannelId,
    APPROVERS: list(slackApproverId, 'a Slack user id like U0123ABCD or a user-group id like S0123ABCD'),
    ALLOW_ANY_APPROVER: optional(z.enum(['true', 'false'], 'expected true or false')).default('false'),
    APPROVAL_TIMEOUT_SECONDS: optional(
      z.coerce
        .number()
        .int()
        .min(1)
        .max(30 * 24 * 3600),
    ).default(3600),
    APPROVAL_REMIND_AT_PERCENT: percentOrOff.default(50),
    APPROVAL_ESCALATE_AT_PERCENT: percentOrOff.default(80),
    APPROVAL_ESCALATION_CHANNEL: slackChannelId,
    APPROVAL_ESCALATION_APPROVERS: list(
      slackApproverId,
      'a Slack user id like U0123ABCD or a user-group id like S0123ABCD',
    ),
    APPROVAL_ON_TIMEOUT: optional(z.enum(['timeout', 'approve', 'keep-waiting'])).default('timeout'),
    ALLOW_SELF_APPROVAL: optional(z.enum(['true', 'false'], 'expected true or false')).default('true'),
    SMTP_URL: optional(z.url({ protocol: /^smtps?$/, error: 'expected smtp://user:pass@host:port or smtps://…' })),
    EMAIL_FROM: optional(email),
    ALERT_EMAIL_TEAM: list(email, 'an e-mail address'),
    ALERT_EMAIL_OWNER: list(email, 'an e-mail address'),
    APPROVAL_EMAIL_TO: list(email, 'an e-mail address'),
    ALERT_ROUTES_FILE: optional(z.string()),
    ALERT_DEDUP_WINDOW_SECONDS: optional(
      z.coerce
        .number()
        .int()
        .min(0)
        .max(24 * 3600),
    ).default(300),
    ALERT_COST_WARNING_PERCENT: optional(z.coerce.number().gt(0).max(100)).default(80),
    ALERT_EMAIL_FALLBACK_SECONDS: optional(z.coerce.number().int().min(1).max(3600)).default(60),
    ALERT_DELIVERY_HORIZON_SECONDS: optional(
      z.coerce
        .number()
        .int()
        .min(60)
        .max(30 * 24 * 3600),
    ).default(86_400),
    APPROVER_EMAILS: list(
      z.string().regex(/^[^\s=@]+@[^\s=@]+\.[^\s=@]+=[UW][A-Z0-9]{2,}$/),
      'an address=user id pair like alice@example.com=U0ALICE',
    ),
    ANTHROPIC_API_KEY: optional(z.string()),
    ANTHROPIC_BASE_URL: optional(httpUrl),
    ANTHROPIC_MODEL: optional(z.string()).default(DEFAULT_MODEL),
    ANTHROPIC_FALLBACK_MODEL: optional(z.string()),
  })
  .superRefine((env, ctx) => {
    const need = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    const slackOn = env.SLACK_BOT_TOKEN !== undefined;
    // With a bot token (one workspace) the client id and secret serve "Sign in with Slack" only;
    // without one they turn on OAuth install for many workspaces.
    const oauthOn = !slackOn && (env.SLACK_CLIENT_ID !== undefined || env.SLACK_CLIENT_SECRET !== undefined);
    if (oauthOn) {
      if (!env.SLACK_CLIENT_ID) need('SLACK_CLIENT_ID', 'required with SLACK_CLIENT_SECRET');
      if (!env.SLACK_CLIENT_SECRET) need('SLACK_CLIENT_SECRET', 'required with SLACK_CLIENT_ID');
      if (!env.SLACK_STATE_SECRET) need('SLACK_STATE_SECRET', 'required with SLACK_CLIENT_ID: signs the OAuth state');
      if (!env.SLACK_SIGNING_SECRET) need('SLACK_SIGNING_SECRET', 'required with SLACK_CLIENT_ID');
      if (env.SLACK_APP_TOKEN)
        need('SLACK_APP_TOKEN', 'OAuth install needs the HTTP request URL: unset SLACK_APP_TOKEN');
    }
    if (!slackOn && !oauthOn && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN)) {
      need('SLACK_BOT_TOKEN', 'required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set');
    }
    if (slackOn && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
      need('SLACK_SIGNING_SECRET', 'required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)');
    }
    if (slackOn && !env.SLACK_APPROVALS_CHANNEL) {
      need('SLACK_APPROVALS_CHANNEL', 'required with SLACK_BOT_TOKEN: the channel id approval requests go to');
    }
    if (env.SMTP_URL && !env.EMAIL_FROM) need('EMAIL_FROM', 'required with SMTP_URL');
    if (env.SLACK_CLIENT_ID && !env.SLACK_CLIENT_SECRET) need('SLACK_CLIENT_SECRET', 'required with SLACK_CLIENT_ID');
    if (env.SLACK_CLIENT_SECRET && !env.SLACK_CLIENT_ID) need('SLACK_CLIENT_ID', 'required with SLACK_CLIENT_SECRET');
  });

/**
 * Reads the configuration from `env`, reporting every bad variable in one ConfigError.
 * Error messages never echo a value, so a secret pasted into the wrong variable is not printed.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const issues: FieldIssue[] = result.error.issues.map((issue) => ({
      field: String(issue.path[0] ?? 'environment'),
      message: issue.message,
    }));
    throw new ConfigError(issues);
  }
  const e = result.data;
  const port = e.PORT;
  return {
    host: e.HOST,
    port,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    publicUrlConfigured: e.PUBLIC_URL !== undefined,
    logLevel: e.LOG_LEVEL,
    storeUrl: e.STORE_URL,
    effectLeaseSeconds: e.EFFECT_LEASE_SECONDS,
    apiToken: e.GATEHOUSE_API_TOKEN,
    callbackSecret: e.CALLBACK_SECRET ?? e.GATEHOUSE_API_TOKEN,
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          appToken: e.SLACK_APP_TOKEN,
          apiUrl: e.SLACK_API_URL,
        }
      : null,
    slackOAuth:
      !e.SLACK_BOT_TOKEN && e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_STATE_SECRET && e.SLACK_SIGNING_SECRET
        ? {
            clientId: e.SLACK_CLIENT_ID,
            clientSecret: e.SLACK_CLIENT_SECRET,
            stateSecret: e.SLACK_STATE_SECRET,
            signingSecret: e.SLACK_SIGNING_SECRET,
            apiUrl: e.SLACK_API_URL,
          }
        : null,
    channels: {
      approvals: e.SLACK_APPROVALS_CHANNEL,
      alerts: e.SLACK_ALERTS_CHANNEL,
      monitoring: e.SLACK_MONITORING_CHANNEL,
      status: e.SLACK_STATUS_CHANNEL,
    },
    approvers: e.APPROVERS,
    allowAnyApprover: e.ALLOW_ANY_APPROVER === 'true',
    approvalTimeoutSeconds: e.APPROVAL_TIMEOUT_SECONDS,
    approvalLadder: {
      remindAtPercent: e.APPROVAL_REMIND_AT_PERCENT === 'off' ? null : e.APPROVAL_REMIND_AT_PERCENT,
      escalateAtPercent: e.APPROVAL_ESCALATE_AT_PERCENT === 'off' ? null : e.APPROVAL_ESCALATE_AT_PERCENT,
      escalation: { channel: e.APPROVAL_ESCALATION_CHANNEL ?? null, approvers: e.APPROVAL_ESCALATION_APPROVERS },
      onTimeout: e.APPROVAL_ON_TIMEOUT,
      allowSelfApproval: e.ALLOW_SELF_APPROVAL === 'true',
    },
    email:
      e.SMTP_URL && e.EMAIL_FROM
        ? {
            smtpUrl: e.SMTP_URL,
            from: e.EMAIL_FROM,
            team: e.ALERT_EMAIL_TEAM,
            owner: e.ALERT_EMAIL_OWNER,
            approvalTo: e.APPROVAL_EMAIL_TO,
          }
        : null,
    anthropic: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseUrl: e.ANTHROPIC_BASE_URL,
      model: e.ANTHROPIC_MODEL,
      fallbackModel: e.ANTHROPIC_FALLBACK_MODEL,
    },
    alerts: {
      routesFile: e.ALERT_ROUTES_FILE,
      dedupWindowSeconds: e.ALERT_DEDUP_WINDOW_SECONDS,
      costWarningPercent: e.ALERT_COST_WARNING_PERCENT,
      emailFallbackSeconds: e.ALERT_EMAIL_FALLBACK_SECONDS,
      deliveryHorizonSeconds: e.ALERT_DELIVERY_HORIZON_SECONDS,
    },
    web: {
      approverEmails: Object.fromEntries(
        e.APPROVER_EMAILS.map((pair) => {
          const [address = '', user = ''] = pair.split('=');
          return [address.toLowerCase(), user];
        }),
      ),
      slackClientId: e.SLACK_CLIENT_ID,
      slackClientSecret: e.SLACK_CLIENT_SECRET,
    },
  };
}

/** What is switched on, for the start-up log line: never a secret. */
export function describeConfig(config: Config) {
  return {
    listen: `${config.host}:${config.port}`,
    publicUrl: config.publicUrl,
    store: config.storeUrl.split('://')[0],
    api: config.apiToken ? 'bearer token' : 'loopback clients only (GATEHOUSE_API_TOKEN not set)',
    slack: config.slack
      ? config.slack.appToken
        ? 'socket mode'
        : 'http /slack/events'
      : config.slackOAuth
        ? 'oauth install /slack/install, http /slack/events'
        : 'off',
    approvers: config.approvers.length,
    email: config.email ? 'on' : 'off',
  };
}
