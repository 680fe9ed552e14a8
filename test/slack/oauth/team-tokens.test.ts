import { describe, expect, it } from 'vitest';
import { whereFrom } from '../../../src/slack/oauth/team-directory.js';
import { type TeamAuthorization, TeamTokens } from '../../../src/slack/oauth/team-tokens.js';

const TEAM = { teamId: 'T0ONE', isEnterpriseInstall: false };

/** An authorize that answers token-1, token-2, … and counts how often it was asked. */
function counting(expiresInSeconds?: (now: number) => number) {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const asked: unknown[] = [];
  const authorize = async (query: unknown): Promise<TeamAuthorization> => {
    asked.push(query);
    const expiry = expiresInSeconds ? { botTokenExpiresAt: Math.floor(now / 1000) + expiresInSeconds(now) } : {};
    return { botToken: `token-${asked.length}`, ...expiry };
  };
  return { asked, authorize, now: () => now, advance: (ms: number) => (now += ms) };
}

describe('team tokens', () => {
  it('asks the installer once for concurrent calls, and again after a minute', async () => {
    const c = counting();
    const tokens = new TeamTokens(c.authorize, c.now);
    expect(await Promise.all([tokens.token(TEAM), tokens.token(TEAM), tokens.token(TEAM)])).toEqual([
      'token-1',
      'token-1',
      'token-1',
    ]);
    expect(c.asked).toEqual([{ teamId: 'T0ONE', enterpriseId: undefined, isEnterpriseInstall: false }]);
    c.advance(61_000);
    expect(await tokens.token(TEAM)).toBe('token-2');
  });

  it('asks again as soon as a rotating token enters the two-hour refresh window', async () => {
    const c = counting(() => 2 * 3600 + 30);
    const tokens = new TeamTokens(c.authorize, c.now);
    expect(await tokens.token(TEAM)).toBe('token-1');
    c.advance(29_000);
    expect(await tokens.token(TEAM)).toBe('token-1');
    c.advance(2_000);
    expect(await tokens.token(TEAM)).toBe('token-2');
  });

  it('does not remember a failed lookup, and forgets a team on request', async () => {
    let fail = true;
    const tokens = new TeamTokens(async () => {
      if (fail) throw new Error('Gatehouse is not installed in Slack team T0ONE');
      return { botToken: 'token-ok' };
    });
    await expect(tokens.token(TEAM)).rejects.toThrow(/not installed/);
    fail = false;
    expect(await tokens.token(TEAM)).toBe('token-ok');
    fail = true;
    tokens.forget(TEAM);
    await expect(tokens.token(TEAM)).rejects.toThrow(/not installed/);
  });
});

describe('where a signed request came from', () => {
  it('reads the channel and user of each payload kind, and nothing from hostile shapes', () => {
    expect(whereFrom({ channel: { id: 'C0A' }, user: { id: 'U0A' } })).toEqual({ channel: 'C0A', user: 'U0A' });
    expect(whereFrom({ channel_id: 'C0B', user_id: 'U0B' })).toEqual({ channel: 'C0B', user: 'U0B' });
    expect(whereFrom({ container: { channel_id: 'C0C' } })).toEqual({ channel: 'C0C', user: undefined });
    expect(whereFrom({ event: { channel: 'C0D', user: 'U0D' } })).toEqual({ channel: 'C0D', user: 'U0D' });
    for (const hostile of [null, 'payload', 42, { channel: null, user: ['U0X'] }, { event: 'x', container: 7 }]) {
      expect(whereFrom(hostile)).toEqual(
        typeof hostile === 'object' && hostile !== null ? { channel: undefined, user: undefined } : {},
      );
    }
  });
});
