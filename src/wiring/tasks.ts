import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { ClaudeClient } from '../agents/claude/client.js';
import { MetricsStore } from '../agents/metrics.js';
import { RuleMonitor } from '../agents/rules.js';
import type { AlertManager } from '../alerts/manager.js';
import type { ApprovalGate } from '../approvals/gate.js';
import { pendingFor } from '../approvals/pending-for.js';
import type { ApprovalRecord, MessageRef } from '../approvals/types.js';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { registerExampleAgents } from '../examples/index.js';
import { isSlackResponseUrl } from '../slack/listeners/commands/agent.js';
import { registerTaskCommands } from '../slack/listeners/commands/index.js';
import { registerTaskEvents } from '../slack/listeners/events/index.js';
import { SlackTaskProgress } from '../slack/task-progress.js';
import type { RecordStore, Store } from '../store/types.js';
import { AgentRegistry, TaskService } from '../tasks/index.js';
import { StoreInstanceLeases } from '../tasks/instances.js';

/** Alert rules every agent is watched by: a team wants to hear when an agent starts failing. */
const DEFAULT_RULES = [
  { name: 'failure-rate', target: 'agent:*', when: { failureRateAbove: 0.3 }, minExecutions: 5, severity: 'warning' },
  { name: 'low-success', target: 'agent:*', when: { successRateBelow: 0.5 }, minExecutions: 5, severity: 'critical' },
] as const;

/**
 * Response URLs Gatehouse posts to: Slack's hooks host, or, when SLACK_API_URL points elsewhere
 * (a proxy, a test double), that host only.
 */
function responseUrlTrust(config: Config): (url: string) => boolean {
  const apiUrl = config.slack?.apiUrl;
  if (!apiUrl) return isSlackResponseUrl;
  const origin = new URL(apiUrl).origin;
  return (url) => URL.canParse(url) && new URL(url).origin === origin;
}

/** Named agents (the shipped examples), the task service, and their Slack surfaces. */
export function createTasks(parts: {
  config: Config;
  store: Store;
  approvals: RecordStore<ApprovalRecord>;
  gate: ApprovalGate;
  alerts: AlertManager;
  slack: App | null;
  logger: Logger;
  clock?: Clock;
}) {
  const { config, store, approvals, gate, alerts, slack, logger, clock } = parts;
  const claude = new ClaudeClient({
    apiKey: config.anthropic.apiKey,
    baseURL: config.anthropic.baseUrl,
    model: config.anthropic.model,
    fallbackModel: config.anthropic.fallbackModel,
    cache: store.keyv('claude-cache'),
    logger,
    clock,
  });
  const registry = registerExampleAgents(new AgentRegistry(), { claude });
  const needClaude = registry.claudeAgents();
  if (!config.anthropic.apiKey && needClaude.length > 0) {
    logger.warn(
      { agents: needClaude },
      `ANTHROPIC_API_KEY is not set: the agents that call Claude (${needClaude.join(', ')}) will fail when started. Set ANTHROPIC_API_KEY to run them.`,
    );
  }
  const progress = slack
    ? new SlackTaskProgress({ client: slack.client, defaultChannel: config.channels.approvals, logger, clock })
    : undefined;
  const metrics = new MetricsStore({ store, clock });
  const instances = new StoreInstanceLeases(store, clock ?? systemClock, config.effectLeaseSeconds * 1000, (err) =>
    logger.error({ err }, 'instance heartbeat failed'),
  );
  const tasks = new TaskService({
    registry,
    store,
    gate,
    alerts,
    logger,
    clock,
    observer: progress,
    metrics,
    instances,
  });
  // Tasks of an instance that dies while this one runs are taken over once its lease ran out.
  let recovering: NodeJS.Timeout | undefined;
  const monitor = new RuleMonitor({ rules: DEFAULT_RULES, metrics, alerts, store, logger, clock });
  const stopWatching = monitor.watch();
  let stopHome: (() => void) | undefined;
  if (slack) {
    registerTaskCommands(slack, { tasks, registry, logger, trustsResponseUrl: responseUrlTrust(config) });
    stopHome = registerTaskEvents(slack, {
      tasks,
      gate,
      logger,
      clock,
      pendingApprovals: (viewers) => pendingFor(approvals, viewers),
      mayDecide: (approval, user) => gate.mayDecide(approval, user),
      alertHistory: (options) => alerts.history(options),
    });
  }
  return {
    registry,
    tasks,
    /** Heartbeats this instance, recovers what dead instances left running, and keeps looking. */
    async start() {
      await instances.start();
      await tasks.recover();
      recovering = setInterval(() => {
        tasks.recover().catch((err: unknown) => logger.error({ err }, 'task recovery failed'));
      }, config.effectLeaseSeconds * 1000).unref();
    },
    /** Where a task's follow-ups go: its progress message, else its approval's message. */
    async threadFor(taskId: string): Promise<MessageRef | null> {
      return (
        (await tasks.threadForTask(taskId)) ??
        (await approvals.findBy('taskId', taskId)).find((r) => r.message)?.message ??
        null
      );
    },
    async stop() {
      clearInterval(recovering);
      await instances.stop();
      stopWatching();
      tasks.stop();
      stopHome?.();
      await progress?.flush();
    },
  };
}
