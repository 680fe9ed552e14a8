import { describe, expect, it } from 'vitest';
import { parseRoutes } from '../../src/alerts/routes-file.js';
import { createRouter, globToRegExp, quietHoursEnd } from '../../src/alerts/routing.js';
import { settle } from '../support/manual-clock.js';
import { CHANNELS, OWNER, setup, TEAM } from './support.js';

describe('alert routing', () => {
  it('sends failures and budget overruns to #alerts and the team, cost warnings to #monitoring and the owner, completions to #status only', async () => {
    const { alerts, slack, email, clock } = setup();
    await alerts.failure({ taskId: 'campaign-42', stage: 'launch', error: 'boom' });
    await alerts.budgetExceeded({ taskId: 'campaign-43', currentCost: 612, budget: 600 });
    await alerts.costWarning({ taskId: 'campaign-44', currentCost: 510, budget: 600 });
    await alerts.completion({ taskId: 'campaign-45', durationSeconds: 192 });
    await settle();

    expect(slack.posts.map((p) => [p.channel, p.alert.kind, p.alert.severity])).toEqual([
      ['C0ALERTS', 'failure', 'critical'],
      ['C0MONITOR', 'cost_warning', 'warning'],
      ['C0STATUS', 'completion', 'info'],
    ]);
    expect(email.sends.map((s) => [s.to, s.alert.kind, s.fallback])).toEqual([
      [TEAM, 'failure', false],
      [TEAM, 'budget_exceeded', false],
      [OWNER, 'cost_warning', false],
    ]);
    // The second critical alert waits its turn in #alerts: one post per second per channel.
    await clock.advance(1000);
    expect(slack.posts.map((p) => [p.channel, p.alert.kind])).toContainEqual(['C0ALERTS', 'budget_exceeded']);
    await alerts.idle();
  });

  it('routes a custom alert by its severity, info by default', async () => {
    const { alerts } = setup();
    expect((await alerts.custom({ title: 'Nightly export done' })).route).toEqual({ slack: ['C0STATUS'], email: [] });
    expect((await alerts.custom({ title: 'Disk at 91%', severity: 'warning' })).route).toEqual({
      slack: ['C0MONITOR'],
      email: OWNER,
    });
  });

  it('records where each alert was delivered', async () => {
    const { alerts, store } = setup();
    const { alert } = await alerts.failure({ taskId: 't1', stage: 's', error: 'boom' });
    await settle();
    const stored = await store.get(alert.id);
    expect(stored?.deliveries.map((d) => [d.target, d.status])).toEqual([
      ['slack:C0ALERTS', 'sent'],
      ['email:team', 'sent'],
    ]);
    expect(stored?.state).toBe('done');
  });

  it('applies a routing file: default overrides, rules that add, rules that replace', () => {
    const routes = parseRoutes(`
defaults:
  warning: { slack: [C0WATCH] }
rules:
  - match: { kind: failure, task: "campaign-*" }
    slack: [C0CAMPAIGNS]
    email: [marketing@example.com]
  - match: { severity: info, task: "nightly-*" }
    slack: [C0NIGHTLY]
    replace: true
`);
    const router = createRouter({ channels: CHANNELS, email: { team: TEAM, owner: OWNER }, routes });
    const route = (
      kind: 'failure' | 'cost_warning' | 'completion',
      severity: 'critical' | 'warning' | 'info',
      taskId: string,
    ) => router.route({ kind, severity, taskId }, 0).route;

    expect(route('failure', 'critical', 'campaign-42')).toEqual({
      slack: ['C0ALERTS', 'C0CAMPAIGNS'],
      email: [...TEAM, 'marketing@example.com'],
    });
    expect(route('failure', 'critical', 'report-1')).toEqual({ slack: ['C0ALERTS'], email: TEAM });
    expect(route('cost_warning', 'warning', 'x')).toEqual({ slack: ['C0WATCH'], email: OWNER });
    expect(route('completion', 'info', 'nightly-7')).toEqual({ slack: ['C0NIGHTLY'], email: [] });
    expect(route('completion', 'info', 'weekly-7')).toEqual({ slack: ['C0STATUS'], email: [] });
  });

  it('names the e-mail delivery after the list it goes to, and picks fallback recipients', () => {
    const router = createRouter({ channels: CHANNELS, email: { team: TEAM, owner: OWNER } });
    expect(router.emailTarget(TEAM)).toBe('email:team');
    expect(router.emailTarget(OWNER)).toBe('email:owner');
    expect(router.emailTarget(['x@example.com'])).toBe('email:route');
    expect(router.fallbackRecipients({ slack: ['C1'], email: TEAM })).toEqual(TEAM);
    expect(router.fallbackRecipients({ slack: ['C1'], email: [] })).toEqual(OWNER);
    const teamOnly = createRouter({ channels: CHANNELS, email: { team: TEAM, owner: [] } });
    expect(teamOnly.fallbackRecipients({ slack: ['C1'], email: [] })).toEqual(TEAM);
  });

  it('matches task globs whole, with * and ? only', () => {
    expect(globToRegExp('campaign-*').test('campaign-42')).toBe(true);
    expect(globToRegExp('campaign-*').test('old-campaign-42')).toBe(false);
    expect(globToRegExp('job-?').test('job-7')).toBe(true);
    expect(globToRegExp('job-?').test('job-77')).toBe(false);
    expect(globToRegExp('a.b(c)').test('a.b(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('finds the end of quiet hours across midnight in the given time zone', () => {
    const quiet = { from: '22:00', to: '07:00', timeZone: 'Europe/Paris' };
    // 22:30 in Paris (UTC+1 in January) → held until 07:00 Paris, 06:00 UTC.
    expect(quietHoursEnd(quiet, Date.parse('2026-01-05T21:30:00Z'))).toBe(Date.parse('2026-01-06T06:00:00Z'));
    expect(quietHoursEnd(quiet, Date.parse('2026-01-06T05:59:30Z'))).toBe(Date.parse('2026-01-06T06:00:00Z'));
    expect(quietHoursEnd(quiet, Date.parse('2026-01-06T06:00:00Z'))).toBeNull();
    expect(quietHoursEnd(quiet, Date.parse('2026-01-05T12:00:00Z'))).toBeNull();
    // The night clocks go forward (29 March 2026), 07:00 Paris is 05:00 UTC.
    expect(quietHoursEnd(quiet, Date.parse('2026-03-28T22:00:00Z'))).toBe(Date.parse('2026-03-29T05:00:00Z'));
    const daytime = { from: '12:00', to: '14:00', timeZone: 'UTC' };
    expect(quietHoursEnd(daytime, Date.parse('2026-01-05T12:15:00Z'))).toBe(Date.parse('2026-01-05T14:00:00Z'));
  });
});
