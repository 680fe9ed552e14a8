import { describe, expect, it } from 'vitest';
import { errorExcerpt, occurrenceSummary } from '../../src/alerts/render.js';
import { ValidationError } from '../../src/errors.js';
import { settle } from '../support/manual-clock.js';
import { setup } from './support.js';

describe('AlertManager.send', () => {
  it('refuses bad input naming each wrong field', async () => {
    const { alerts } = setup();
    const error = await alerts
      .send({ kind: 'cost_warning', taskId: 't', currentCost: -1, colour: 'red' } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual(
      expect.arrayContaining([
        { field: 'colour', message: 'is not a known field' },
        { field: 'currentCost', message: 'must not be negative' },
      ]),
    );
    await expect(alerts.send({ kind: 'explosion' } as never)).rejects.toMatchObject({
      issues: [{ field: 'kind', message: expect.stringMatching(/^expected one of failure/) }],
    });
    await expect(alerts.send({ kind: 'failure' })).rejects.toMatchObject({
      issues: [{ field: 'taskId', message: 'required for a failure alert' }],
    });
    await expect(alerts.send({ kind: 'custom' })).rejects.toMatchObject({
      issues: [{ field: 'title', message: expect.stringMatching(/^required/) }],
    });
  });

  it('holds back a cost warning below 80 % without storing it, and sends it from 80 % on with the percent', async () => {
    const { alerts, slack, store } = setup();
    const below = await alerts.costWarning({ taskId: 'campaign-42', currentCost: 470, budget: 600 });
    expect(below.suppressed).toBe('below threshold');
    expect(below.alert.percent).toBe(78.3);
    expect(await store.get(below.alert.id)).toBeUndefined();

    const above = await alerts.costWarning({ taskId: 'campaign-42', currentCost: 510, budget: 600 });
    await settle();
    expect(above.suppressed).toBeUndefined();
    expect(above.alert).toMatchObject({
      severity: 'warning',
      percent: 85,
      title: 'Task campaign-42 has used 85% of its budget ($510.00 of $600.00)',
    });
    expect(slack.posts).toHaveLength(1);
    expect(await store.get(above.alert.id)).toMatchObject({ count: 1, currentCost: 510, budget: 600 });
  });

  it('honours another warning threshold', async () => {
    const { alerts } = setup({ costWarningPercent: 90 });
    expect((await alerts.costWarning({ taskId: 't', currentCost: 85, budget: 100 })).suppressed).toBe(
      'below threshold',
    );
    expect((await alerts.costWarning({ taskId: 't', currentCost: 90, budget: 100 })).suppressed).toBeUndefined();
  });

  it('renders a title and message per kind', async () => {
    const { alerts } = setup();
    expect(
      (await alerts.failure({ taskId: 'campaign-42', stage: 'launch', error: 'Ads API said no\n  at x' })).alert,
    ).toMatchObject({
      title: 'Task campaign-42 failed at stage launch',
      message: 'Ads API said no',
      severity: 'critical',
    });
    expect((await alerts.budgetExceeded({ taskId: 'b', currentCost: 612, budget: 600 })).alert).toMatchObject({
      title: 'Task b exceeded its budget ($612.00 of $600.00)',
      message: 'It was stopped at 102% of its budget.',
      severity: 'critical',
    });
    expect((await alerts.completion({ taskId: 'c', durationSeconds: 192 })).alert).toMatchObject({
      title: 'Task c completed',
      message: 'It ran for 3 min 12 s.',
      severity: 'info',
    });
    expect(
      (await alerts.custom({ title: 'Deploy done', message: 'v2 is live', severity: 'warning' })).alert,
    ).toMatchObject({ title: 'Deploy done', message: 'v2 is live', severity: 'warning', taskId: null });
  });

  it('reports an Error with its stack, trimmed to the first line and 15 frames', async () => {
    const { alerts } = setup();
    const error = new Error('connection refused');
    error.stack = [
      'Error: connection refused',
      ...Array.from({ length: 40 }, (_, i) => `    at step${i} (/app/agent.js:${i}:1)`),
    ].join('\n');
    const { alert } = await alerts.failure({ taskId: 't', stage: 'fetch', error });
    const lines = alert.error?.split('\n') ?? [];
    expect(lines[0]).toBe('Error: connection refused');
    expect(lines.filter((line) => line.includes(' at step'))).toHaveLength(15);
    expect(lines.at(-1)).toBe('    … 25 more lines');
    expect(alert.message).toBe('Error: connection refused');
  });

  it('keeps an error excerpt within 2,500 characters', () => {
    expect(errorExcerpt('x'.repeat(10_000)).length).toBeLessThanOrEqual(2500);
    expect(errorExcerpt(`first\n${'    at y\n'.repeat(5)}`)).toBe(`first\n${'    at y\n'.repeat(4)}    at y`);
  });

  it('masks secrets and e-mail addresses before anything is stored or sent', async () => {
    const { alerts, slack, store } = setup();
    const { alert } = await alerts.failure({
      taskId: 'campaign-42',
      stage: 'launch',
      error: 'Request failed: Authorization: Bearer sk-ant-api03-abcdefghijklmnop for jane.doe@example.com',
    });
    await settle();
    const stored = JSON.stringify(await store.get(alert.id));
    const posted = JSON.stringify(slack.posts[0]?.alert);
    for (const text of [stored, posted]) {
      expect(text).not.toContain('abcdefghijklmnop');
      expect(text).not.toContain('jane.doe');
      expect(text).toContain('sk-ant-***');
      expect(text).toContain('j***@example.com');
    }
  });

  it('summarises a storm for the surfaces', () => {
    const base = { kind: 'failure' as const, firstSeen: '2026-01-05T09:00:00.000Z' };
    expect(occurrenceSummary({ ...base, count: 1, lastSeen: base.firstSeen })).toBeNull();
    expect(occurrenceSummary({ ...base, count: 200, lastSeen: '2026-01-05T09:02:00.000Z' })).toBe(
      'failed 200 times in 2 min, last: 09:02:00 UTC',
    );
  });

  it('lists stored alerts, last seen first, by task and since a time', async () => {
    const { alerts, clock } = setup();
    await alerts.failure({ taskId: 'a', stage: 's', error: 'x' });
    await clock.advance(60_000);
    await alerts.completion({ taskId: 'b', durationSeconds: 5 });
    await clock.advance(60_000);
    await alerts.custom({ title: 'Hello', taskId: 'a' });
    expect((await alerts.history()).map((a) => a.title)).toEqual([
      'Hello',
      'Task b completed',
      'Task a failed at stage s',
    ]);
    expect((await alerts.history({ taskId: 'a' })).map((a) => a.kind)).toEqual(['custom', 'failure']);
    expect((await alerts.history({ since: '2026-01-05T09:01:00Z' })).map((a) => a.kind)).toEqual([
      'custom',
      'completion',
    ]);
    expect(await alerts.history({ limit: 1 })).toHaveLength(1);
  });
});
