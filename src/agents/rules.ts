import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { parseOrThrow } from '../approvals/schema.js';
import { type Clock, systemClock } from '../clock.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';
import type { Metrics, MetricsStore } from './metrics.js';
import type { AgentAlerts } from './types.js';

/** The record namespace that remembers which rules are breached, so each episode alerts once. */
export const RULE_STATE_NAMESPACE = 'rule-episodes';

const CONDITION_HINT =
  'expected exactly one of failureRateAbove (0 to 1), successRateBelow (0 to 1), avgDurationAboveMs (> 0)';

/** One alert rule: when the target's metrics cross the threshold, raise a custom alert. */
export const alertRuleSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty'),
  /** `agent:<name>`, `workflow:<name>`, `agent:*`, `workflow:*` or `*`. */
  target: z
    .string()
    .regex(/^(\*|(agent|workflow):.+)$/, 'expected *, agent:<name>, workflow:<name>, agent:* or workflow:*'),
  when: z.union(
    [
      z.strictObject({ failureRateAbove: z.number().min(0).max(1) }),
      z.strictObject({ successRateBelow: z.number().min(0).max(1) }),
      z.strictObject({ avgDurationAboveMs: z.number().positive() }),
    ],
    { error: CONDITION_HINT },
  ),
  /** Fewer executions than this never breach: a first failure is not a 100 % failure rate. */
  minExecutions: z.number().int().min(1).default(5),
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
});

/** A list of rules with distinct names. */
export const alertRulesSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicates rule ${rule.name}` });
    seen.add(rule.name);
  });
});

/** A validated rule, defaults applied. */
export type AlertRule = z.output<typeof alertRuleSchema>;
/** A rule as written in configuration. */
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

/** Validates rules (e.g. from a config file); a ValidationError names every wrong field. */
export function parseRules(input: unknown): AlertRule[] {
  return parseOrThrow(alertRulesSchema, input);
}

/** A rule crossed by one target's metrics. */
export interface Breach {
  rule: AlertRule;
  target: string;
  metric: 'failureRate' | 'successRate' | 'avgDurationMs';
  value: number;
  threshold: number;
  metrics: Metrics;
}

/** Every (rule, target) pair whose metrics cross the rule's threshold. Pure. */
export function evaluateRules(metrics: readonly Metrics[], rules: readonly AlertRule[]): Breach[] {
  return rules.flatMap((rule) =>
    metrics.flatMap((m) => {
      const breach = matches(rule.target, m) ? evaluate(rule, m) : null;
      return breach ? [breach] : [];
    }),
  );
}

function matches(target: string, metrics: Metrics): boolean {
  return target === '*' || target === `${metrics.kind}:*` || target === metrics.target;
}

function evaluate(rule: AlertRule, m: Metrics): Breach | null {
  if (m.executions < rule.minExecutions) return null;
  const base = { rule, target: m.target, metrics: m };
  const { when } = rule;
  if ('failureRateAbove' in when) {
    const breached = m.failureRate > when.failureRateAbove;
    return breached ? { ...base, metric: 'failureRate', value: m.failureRate, threshold: when.failureRateAbove } : null;
  }
  if ('successRateBelow' in when) {
    const breached = m.successRate < when.successRateBelow;
    return breached ? { ...base, metric: 'successRate', value: m.successRate, threshold: when.successRateBelow } : null;
  }
  const avg = m.avgDurationMs;
  const breached = avg !== null && avg > when.avgDurationAboveMs;
  return breached ? { ...base, metric: 'avgDurationMs', value: avg, threshold: when.avgDurationAboveMs } : null;
}

/** What a breach says in its alert. */
export function describeBreach(breach: Breach): { title: string; message: string } {
  const { metrics: m, value, threshold } = breach;
  const percent = (x: number) => `${(x * 100).toFixed(1)} %`;
  const message =
    breach.metric === 'failureRate'
      ? `failure rate ${percent(value)} is above ${percent(threshold)} (${m.failures} of ${m.executions} executions failed)`
      : breach.metric === 'successRate'
        ? `success rate ${percent(value)} is below ${percent(threshold)} (${m.successes} of ${m.executions} executions succeeded)`
        : `average duration ${Math.round(value)} ms is above ${threshold} ms over ${m.executions} executions`;
  return { title: `Rule ${breach.rule.name} breached by ${breach.target}`, message };
}

/** Whether a (rule, target) pair is in a breach episode, as stored. */
interface RuleState extends Versioned {
  rule: string;
  target: string;
  breached: boolean;
  since: string;
}

/** Options of a RuleMonitor; `logger` and `clock` have defaults. */
export interface RuleMonitorOptions {
  /** Validated here: a ValidationError names every wrong field. */
  rules: readonly AlertRuleInput[];
  metrics: MetricsStore;
  alerts: AgentAlerts;
  /** Remembers open breach episodes across restarts and processes. */
  store: Store;
  logger?: Logger;
  clock?: Clock;
}

/**
 * Raises each rule breach as one custom alert per breach episode: once when a target crosses the
 * threshold, then nothing while it stays across, and again only after it has recovered. Episodes
 * open and close by compare-and-swap, so processes sharing a store alert once between them.
 */
export class RuleMonitor {
  readonly rules: readonly AlertRule[];
  private readonly metrics: MetricsStore;
  private readonly alerts: AgentAlerts;
  private readonly states: RecordStore<RuleState>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private checking: Promise<unknown> = Promise.resolve();

  constructor({ rules, metrics, alerts, store, logger, clock = systemClock }: RuleMonitorOptions) {
    this.rules = parseRules(rules);
    this.metrics = metrics;
    this.alerts = alerts;
    this.states = store.records<RuleState>(RULE_STATE_NAMESPACE);
    this.logger = logger ?? pino({ level: 'silent' });
    this.clock = clock;
  }

  /**
   * Evaluates the rules over `metrics` (default: every agent's and workflow's), raises the breaches
   * that open an episode and closes the episodes that recovered. Resolves with both.
   */
  async check(metrics?: readonly Metrics[]): Promise<{ raised: Breach[]; recovered: string[] }> {
    const all = metrics ?? (await this.metrics.list());
    const breaches = evaluateRules(all, this.rules);
    const raised: Breach[] = [];
    const recovered: string[] = [];
    for (const rule of this.rules) {
      for (const m of all.filter((x) => matches(rule.target, x))) {
        const breach = breaches.find((b) => b.rule === rule && b.target === m.target);
        const id = `${rule.name}|${m.target}`;
        if (!(await this.transition(id, rule.name, m.target, breach !== undefined))) continue;
        if (breach) {
          raised.push(breach);
          await this.raise(breach);
        } else {
          recovered.push(id);
          this.logger.info({ rule: rule.name, target: m.target }, 'alert rule recovered');
        }
      }
    }
    return { raised, recovered };
  }

  /** Checks a target's rules after each execution `metrics` records. Returns the unsubscribe. */
  watch(): () => void {
    return this.metrics.onRecorded((m) => {
      this.checking = this.checking
        .then(() => this.check([m]))
        .catch((err: unknown) => this.logger.error({ err }, 'alert rule check failed'));
    });
  }

  /** Resolves once the checks started by `watch` so far are done. */
  async idle(): Promise<void> {
    await this.checking;
  }

  private async raise(breach: Breach): Promise<void> {
    const { title, message } = describeBreach(breach);
    this.logger.warn({ rule: breach.rule.name, target: breach.target, value: breach.value }, title);
    try {
      await this.alerts.custom({
        title,
        message,
        severity: breach.rule.severity,
        dedupKey: `rule:${breach.rule.name}:${breach.target}`,
      });
    } catch (err) {
      this.logger.error({ err, rule: breach.rule.name }, 'could not send the alert rule breach');
    }
  }

  /** Moves the pair into or out of a breach episode; true if this call made the move. */
  private async transition(id: string, rule: string, target: string, breached: boolean): Promise<boolean> {
    const since = new Date(this.clock.now()).toISOString();
    const current = await this.states.get(id);
    if ((current?.breached ?? false) === breached) return false;
    if (!current) return (await this.states.insert({ id, rule, target, breached, since, version: 1 })).created;
    return this.states.replace({ ...current, breached, since, version: current.version + 1 }, current.version);
  }
}
