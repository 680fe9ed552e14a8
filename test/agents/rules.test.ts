import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/agent.js';
import { type Metrics, MetricsStore } from '../../src/agents/metrics.js';
import { type AlertRuleInput, evaluateRules, parseRules, RuleMonitor } from '../../src/agents/rules.js';
import type { AgentAlerts } from '../../src/agents/types.js';
import { ValidationError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';

/** Records custom alerts (the only kind rules raise). */
class RecordingAlerts implements AgentAlerts {
  raised: Array<{ title: string; message: string; severity: string; dedupKey?: string }> = [];
  async failure() {}
  async completion() {}
  async custom(input: { title: string; message: string; severity: string; dedupKey?: string }) {
    this.raised.push(input);
  }
  async costWarning() {}
  async budgetExceeded() {}
}

function metricsOf(target: string, overrides: Partial<Metrics> = {}): Metrics {
  const [kind, name] = target.split(':') as ['agent' | 'workflow', string];
  return {
    target,
    kind,
    name,
    executions: 10,
    successes: 6,
    failures: 4,
    cancelled: 0,
    successRate: 0.6,
    failureRate: 0.4,
    minDurationMs: 100,
    avgDurationMs: 900,
    maxDurationMs: 2000,
    stdevDurationMs: 50,
    lastExecutionAt: '2026-01-05T09:00:00.000Z',
    ...overrides,
  };
}

describe('alert rules', () => {
  it('validates rules, applies defaults and names every wrong field', () => {
    expect(parseRules([{ name: 'flaky', target: '*', when: { failureRateAbove: 0.3 } }])).toEqual([
      { name: 'flaky', target: '*', when: { failureRateAbove: 0.3 }, minExecutions: 5, severity: 'warning' },
    ]);
    const issuesOf = (input: unknown) => {
      try {
        parseRules(input);
        return [];
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    expect(
      issuesOf([
        { name: 'a', target: 'robot:x', when: { failureRateAbove: 1.5 } },
        { name: 'b', target: 'agent:x', when: { failureRate: 0.5 }, severity: 'loud', minExecutions: 0 },
      ]).map((issue) => issue.split(':')[0]),
    ).toEqual(['0.target', '0.when.failureRateAbove', '1.when', '1.minExecutions', '1.severity']);
    expect(issuesOf([{ name: 'b', target: '*', when: { failureRate: 0.5 } }])).toEqual([
      '0.when: expected exactly one of failureRateAbove (0 to 1), successRateBelow (0 to 1), avgDurationAboveMs (> 0)',
    ]);
    expect(
      issuesOf([
        { name: 'same', target: '*', when: { failureRateAbove: 0.3 } },
        { name: 'same', target: '*', when: { successRateBelow: 0.3 } },
      ]),
    ).toEqual(['1.name: duplicates rule same']);
  });

  it('finds each breach of each rule over the targets it names, once enough executions are counted', () => {
    const rules = parseRules([
      { name: 'flaky', target: '*', when: { failureRateAbove: 0.3 } },
      { name: 'unreliable-agents', target: 'agent:*', when: { successRateBelow: 0.7 }, severity: 'critical' },
      { name: 'slow-digest', target: 'workflow:digest', when: { avgDurationAboveMs: 800 }, minExecutions: 3 },
    ]);
    const metrics = [
      metricsOf('agent:campaign'),
      metricsOf('workflow:digest'),
      metricsOf('agent:new', { executions: 4 }),
      metricsOf('agent:healthy', { failures: 1, successes: 9, failureRate: 0.1, successRate: 0.9 }),
    ];
    expect(evaluateRules(metrics, rules).map((b) => [b.rule.name, b.target, b.metric, b.value, b.threshold])).toEqual([
      ['flaky', 'agent:campaign', 'failureRate', 0.4, 0.3],
      ['flaky', 'workflow:digest', 'failureRate', 0.4, 0.3],
      ['unreliable-agents', 'agent:campaign', 'successRate', 0.6, 0.7],
      ['slow-digest', 'workflow:digest', 'avgDurationMs', 900, 800],
    ]);
  });

  it('raises a breach once per episode, and again only after the metric has recovered', async () => {
    const store = new MemoryStore();
    const metrics = new MetricsStore({ store });
    const alerts = new RecordingAlerts();
    const rules: AlertRuleInput[] = [
      { name: 'flaky', target: 'agent:campaign', when: { failureRateAbove: 0.3 }, severity: 'critical' },
    ];
    const monitor = new RuleMonitor({ rules, metrics, alerts, store });
    const runs = async (outcome: 'succeeded' | 'failed', n: number) => {
      for (let i = 0; i < n; i++) await metrics.record('agent', 'campaign', outcome, 1000);
    };

    await runs('failed', 4); // 4 executions: below minExecutions 5, whatever the rate
    expect((await monitor.check()).raised).toEqual([]);
    await runs('succeeded', 1); // 4 / 5 failed
    expect((await monitor.check()).raised).toHaveLength(1);
    expect(alerts.raised).toEqual([
      {
        title: 'Rule flaky breached by agent:campaign',
        message: 'failure rate 80.0 % is above 30.0 % (4 of 5 executions failed)',
        severity: 'critical',
        dedupKey: 'rule:flaky:agent:campaign',
      },
    ]);
    await runs('failed', 2); // still breached: same episode, no new alert
    await monitor.check();
    // A monitor in a restarted process knows the episode is open.
    await new RuleMonitor({ rules, metrics, alerts, store }).check();
    expect(alerts.raised).toHaveLength(1);

    await runs('succeeded', 13); // 6 / 20 failed = 30 %: not above, recovered
    expect(await monitor.check()).toEqual({ raised: [], recovered: ['flaky|agent:campaign'] });
    await runs('failed', 1); // 7 / 21
    await monitor.check();
    expect(alerts.raised.map((a) => a.message)).toEqual([
      'failure rate 80.0 % is above 30.0 % (4 of 5 executions failed)',
      'failure rate 33.3 % is above 30.0 % (7 of 21 executions failed)',
    ]);
  });

  it('watches the executions agents record', async () => {
    const store = new MemoryStore();
    const metrics = new MetricsStore({ store });
    const alerts = new RecordingAlerts();
    const monitor = new RuleMonitor({
      rules: [{ name: 'failing', target: 'agent:*', when: { successRateBelow: 0.5 }, minExecutions: 2 }],
      metrics,
      alerts,
      store,
    });
    const stop = monitor.watch();
    const agent = defineAgent(
      {
        name: 'fragile',
        stages: [
          {
            name: 'work',
            run: () => {
              throw new Error('nope');
            },
          },
        ],
      },
      { store, metrics },
    );
    for (const id of ['f1', 'f2', 'f3']) await agent.run({ taskId: id }).catch(() => {});
    await monitor.idle();
    stop();
    expect(alerts.raised).toMatchObject([
      { title: 'Rule failing breached by agent:fragile', severity: 'warning', dedupKey: 'rule:failing:agent:fragile' },
    ]);
  });
});
