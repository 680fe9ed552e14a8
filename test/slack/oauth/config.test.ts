import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const OAUTH = {
  SLACK_CLIENT_ID: '1234567890.0987654321',
  SLACK_CLIENT_SECRET: 'client-secret-0123456789abcdef',
  SLACK_STATE_SECRET: 'state-secret-0123456789abcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123',
};

function issues(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return Object.fromEntries(error.issues.map((i) => [i.field, i.message]));
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('OAuth configuration', () => {
  it('turns on many workspaces with a client id, secret and state secret instead of a bot token', () => {
    const config = loadConfig(OAUTH);
    expect(config.slack).toBeNull();
    expect(config.slackOAuth).toEqual({
      clientId: OAUTH.SLACK_CLIENT_ID,
      clientSecret: OAUTH.SLACK_CLIENT_SECRET,
      stateSecret: OAUTH.SLACK_STATE_SECRET,
      signingSecret: OAUTH.SLACK_SIGNING_SECRET,
      apiUrl: undefined,
    });
    expect(describeConfig(config).slack).toBe('oauth install /slack/install, http /slack/events');
    expect(JSON.stringify(describeConfig(config))).not.toContain('secret-0123');
  });

  it('names every missing or conflicting variable at once', () => {
    expect(issues({ SLACK_CLIENT_ID: OAUTH.SLACK_CLIENT_ID })).toEqual({
      SLACK_CLIENT_SECRET: 'required with SLACK_CLIENT_ID',
      SLACK_STATE_SECRET: 'required with SLACK_CLIENT_ID: signs the OAuth state',
      SLACK_SIGNING_SECRET: 'required with SLACK_CLIENT_ID',
    });
    // With a bot token the client id and secret only serve "Sign in with Slack": one workspace.
    const both = {
      ...OAUTH,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
    };
    expect(loadConfig(both).slackOAuth).toBeNull();
    expect(issues({ ...OAUTH, SLACK_APP_TOKEN: 'xapp-1' })).toEqual({
      SLACK_APP_TOKEN: 'OAuth install needs the HTTP request URL: unset SLACK_APP_TOKEN',
    });
    expect(issues({ ...OAUTH, SLACK_CLIENT_ID: 'my-app', SLACK_STATE_SECRET: 'short' })).toEqual({
      SLACK_CLIENT_ID: 'expected a client id like 1234567890.0987654321',
      SLACK_STATE_SECRET: 'must be at least 16 characters',
    });
  });

  it('leaves the one-workspace bot token mode as it was', () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: OAUTH.SLACK_SIGNING_SECRET,
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
    });
    expect(config.slackOAuth).toBeNull();
    expect(config.slack?.botToken).toBe('xoxb-1');
  });
});
