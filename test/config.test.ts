import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

const fieldsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.field).sort();
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('starts with nothing set: SQLite default, Slack and e-mail off', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      storeUrl: 'sqlite://data/gatehouse.sqlite',
      slack: null,
      email: null,
      approvers: [],
      approvalTimeoutSeconds: 3600,
      publicUrl: 'http://localhost:3000',
    });
  });

  it('fails closed on approvers unless ALLOW_ANY_APPROVER=true, and takes user-group ids', () => {
    expect(loadConfig({}).allowAnyApprover).toBe(false);
    expect(loadConfig({ ALLOW_ANY_APPROVER: 'true' }).allowAnyApprover).toBe(true);
    expect(fieldsOf(() => loadConfig({ ALLOW_ANY_APPROVER: 'yes' }))).toEqual(['ALLOW_ANY_APPROVER']);
    expect(loadConfig({ APPROVERS: 'U0ALICE, S0ONCALL' }).approvers).toEqual(['U0ALICE', 'S0ONCALL']);
  });

  it('treats empty and blank values as unset', () => {
    expect(loadConfig({ PORT: '', SLACK_BOT_TOKEN: '  ', APPROVERS: '' })).toMatchObject({ port: 3000, slack: null });
  });

  it('reports every bad variable at once', () => {
    const fields = fieldsOf(() =>
      loadConfig({
        PORT: 'eighty',
        APPROVERS: 'U0ALICE,bob',
        SLACK_ALERTS_CHANNEL: '#alerts',
        STORE_URL: 'mysql://x',
        PUBLIC_URL: 'not a url',
        LOG_LEVEL: 'loud',
        GATEHOUSE_API_TOKEN: 'short',
      }),
    );
    expect(fields).toEqual([
      'APPROVERS',
      'GATEHOUSE_API_TOKEN',
      'LOG_LEVEL',
      'PORT',
      'PUBLIC_URL',
      'SLACK_ALERTS_CHANNEL',
      'STORE_URL',
    ]);
  });

  it('requires the pieces that go together', () => {
    expect(fieldsOf(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }))).toEqual([
      'SLACK_APPROVALS_CHANNEL',
      'SLACK_SIGNING_SECRET',
    ]);
    expect(fieldsOf(() => loadConfig({ SLACK_SIGNING_SECRET: 'abcdefgh12345' }))).toEqual(['SLACK_BOT_TOKEN']);
    expect(fieldsOf(() => loadConfig({ SMTP_URL: 'smtp://localhost:25' }))).toEqual(['EMAIL_FROM']);
  });

  it('never echoes a secret in its error message', () => {
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token-secret-value', SLACK_SIGNING_SECRET: 's3cr3t-value-123' });
    } catch (error) {
      expect((error as Error).message).not.toContain('xoxp-user-token-secret-value');
      expect((error as Error).message).toContain('SLACK_BOT_TOKEN');
      return;
    }
    throw new Error('expected a ConfigError');
  });

  it('turns Slack on in HTTP or Socket Mode, and its description holds no secret', () => {
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-secret-bot',
      SLACK_SIGNING_SECRET: 'signing-secret-value',
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
      APPROVERS: 'U0ALICE, U0BOB',
      GATEHOUSE_API_TOKEN: 'api-token-0123456789',
    });
    expect(config.slack).toMatchObject({ botToken: 'xoxb-secret-bot', signingSecret: 'signing-secret-value' });
    expect(config.approvers).toEqual(['U0ALICE', 'U0BOB']);
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain('http /slack/events');
    for (const secret of ['xoxb-secret-bot', 'signing-secret-value', 'api-token-0123456789']) {
      expect(described).not.toContain(secret);
    }
    const socket = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
    });
    expect(describeConfig(socket).slack).toBe('socket mode');
  });
});
