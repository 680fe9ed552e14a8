import { createHmac } from 'node:crypto';
import type { BlockAction, ButtonAction, SlashCommand, ViewStateValue, ViewSubmitAction } from '@slack/bolt';

/** Deep-merged into a payload: objects merge, arrays replace, `undefined` deletes. May break the shape on purpose. */
export type PayloadOverrides = Record<string, unknown>;

/** The two headers Slack signs every request with (v0 scheme: HMAC-SHA256 of `v0:{timestamp}:{body}`). */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

const TEAM = { id: 'T0TEST', domain: 'test' } as const;
const APP_ID = 'A0GATEHOUSE';
const VERIFICATION_TOKEN = 'verification-token';
let triggerSeq = 0;

/** Signs `body` exactly as Slack does. */
export function signSlackRequest(
  body: string,
  signingSecret: string,
  timestamp = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestamp) };
}

export interface BlockActionsOptions {
  actionId: string;
  value?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  messageTs?: string;
  triggerId?: string;
  blockId?: string;
  /** The clicked button's label. */
  buttonText?: string;
  overrides?: PayloadOverrides;
}

/** The `block_actions` payload Slack sends when a button in a channel message is clicked. */
export function blockActionsPayload({
  actionId,
  value,
  userId = 'U0ALICE',
  userName = 'alice',
  channelId = 'C0APPROVALS',
  messageTs = '1700000000.000100',
  triggerId = nextTriggerId(),
  blockId = 'actions',
  buttonText = 'Approve',
  overrides = {},
}: BlockActionsOptions): BlockAction<ButtonAction> {
  const text = { type: 'plain_text' as const, text: buttonText, emoji: true };
  const button = { type: 'button', action_id: actionId, text, ...(value === undefined ? {} : { value }) };
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: userName, name: userName, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: triggerId,
    team: { ...TEAM },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channelId, name: 'approvals' },
    message: {
      type: 'message',
      user: 'U0BOT',
      bot_id: 'B0BOT',
      ts: messageTs,
      text: 'Approval requested',
      blocks: [{ type: 'actions', block_id: blockId, elements: [button] }],
    },
    state: { values: {} },
    response_url: `https://hooks.slack.com/actions/${TEAM.id}/1/${triggerId}`,
    actions: [{ ...button, block_id: blockId, action_ts: nowTs() }],
  };
  return deepMerge(payload, overrides) as unknown as BlockAction<ButtonAction>;
}

export interface ViewSubmissionOptions {
  callbackId: string;
  privateMetadata?: string;
  userId?: string;
  userName?: string;
  /** `{ [blockId]: { [actionId]: text } }`; a string (or null) becomes a `plain_text_input` state value. */
  values?: Record<string, Record<string, string | null | ViewStateValue>>;
  viewId?: string;
  triggerId?: string;
  overrides?: PayloadOverrides;
}

/** The `view_submission` payload Slack sends when a modal's submit button is pressed. */
export function viewSubmissionPayload({
  callbackId,
  privateMetadata = '',
  userId = 'U0ALICE',
  userName = 'alice',
  values = {},
  viewId = 'V0000000001',
  triggerId = nextTriggerId(),
  overrides = {},
}: ViewSubmissionOptions): ViewSubmitAction {
  const state: Record<string, Record<string, ViewStateValue>> = {};
  const blocks: unknown[] = [];
  for (const [blockId, actions] of Object.entries(values)) {
    const blockState: Record<string, ViewStateValue> = {};
    state[blockId] = blockState;
    for (const [actionId, input] of Object.entries(actions)) {
      const stateValue =
        input === null || typeof input === 'string' ? { type: 'plain_text_input', value: input } : input;
      blockState[actionId] = stateValue;
      const element = { type: stateValue.type, action_id: actionId };
      blocks.push({ type: 'input', block_id: blockId, label: plain(actionId), element });
    }
  }
  const payload = {
    type: 'view_submission',
    team: { ...TEAM },
    user: { id: userId, username: userName, name: userName, team_id: TEAM.id },
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: triggerId,
    view: {
      id: viewId,
      team_id: TEAM.id,
      type: 'modal',
      blocks,
      private_metadata: privateMetadata,
      callback_id: callbackId,
      state: { values: state },
      hash: '1700000000.AbCdEfGh',
      title: plain('Gatehouse'),
      clear_on_close: false,
      notify_on_close: false,
      close: plain('Cancel'),
      submit: plain('Submit'),
      previous_view_id: null,
      root_view_id: viewId,
      app_id: APP_ID,
      external_id: '',
      app_installed_team_id: TEAM.id,
      bot_id: 'B0BOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return deepMerge(payload, overrides) as unknown as ViewSubmitAction;
}

export interface SlashCommandOptions {
  command?: string;
  text?: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  triggerId?: string;
  responseUrl?: string;
  overrides?: Record<string, string | undefined>;
}

/** The form fields Slack sends for a slash command, in Slack's order. */
export function slashCommandPayload({
  command = '/agent',
  text = '',
  userId = 'U0ALICE',
  userName = 'alice',
  channelId = 'C0APPROVALS',
  channelName = 'approvals',
  triggerId = nextTriggerId(),
  responseUrl = `https://hooks.slack.com/commands/${TEAM.id}/1/${triggerId}`,
  overrides = {},
}: SlashCommandOptions = {}): SlashCommand {
  const fields = {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: channelId,
    channel_name: channelName,
    user_id: userId,
    user_name: userName,
    command,
    text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: responseUrl,
    trigger_id: triggerId,
  };
  return deepMerge(fields, overrides) as SlashCommand;
}

/** An interactivity request body: the payload JSON in one `payload` form field. */
export function interactiveBody(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A slash command request body. */
export function commandBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export interface PostSlackOptions {
  signingSecret: string;
  /** Seconds since the epoch; defaults to now. */
  timestamp?: number;
  /** Sent instead of the computed signature, for forged-request tests. */
  signature?: string;
  retryNum?: number;
  retryReason?: string;
  contentType?: string;
}

/** POSTs a signed request to `${baseUrl}/slack/events` with the headers Slack sends. */
export function postSlack(
  baseUrl: string,
  body: string,
  {
    signingSecret,
    timestamp,
    signature,
    retryNum,
    retryReason,
    contentType = 'application/x-www-form-urlencoded',
  }: PostSlackOptions,
): Promise<Response> {
  const signed = signSlackRequest(body, signingSecret, timestamp);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signed,
  };
  if (signature !== undefined) headers['x-slack-signature'] = signature;
  if (retryNum !== undefined) headers['x-slack-retry-num'] = String(retryNum);
  if (retryReason !== undefined) headers['x-slack-retry-reason'] = retryReason;
  return fetch(`${baseUrl.replace(/\/+$/, '')}/slack/events`, { method: 'POST', headers, body });
}

function plain(text: string) {
  return { type: 'plain_text' as const, text, emoji: true };
}

function nowTs(): string {
  return (Date.now() / 1000).toFixed(6);
}

function nextTriggerId(): string {
  triggerSeq += 1;
  return `${1_700_000_000_000 + triggerSeq}.1234567890.abcdef${triggerSeq.toString(16).padStart(8, '0')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge<T extends Record<string, unknown>>(base: T, overrides: Record<string, unknown>): T {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(merged[key])) merged[key] = deepMerge(merged[key], value);
    else merged[key] = value;
  }
  return merged as T;
}
