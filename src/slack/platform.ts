import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ApprovalGate } from '../approvals/gate.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/types.js';
import type { SlackClients } from './clients.js';
import { register as requestApproval } from './workflow/request-approval.js';
import { type WorkflowStepRecord, WorkflowSteps } from './workflow/steps.js';

/** What the Slack platform features (Workflow Builder steps) need. */
export interface SlackPlatformDeps {
  gate: ApprovalGate;
  store: Store;
  clients: SlackClients;
  logger: Logger;
  clock?: Clock;
}

/** Slack platform features beyond messages: started after the gate, stopped before the store closes. */
export interface SlackPlatform {
  steps: WorkflowSteps;
  start(): Promise<void>;
  stop(): void;
}

/** Registers the Workflow Builder step on `app` and keeps its runs completed across restarts. */
export function createSlackPlatform(
  app: App,
  { gate, store, clients, logger, clock }: SlackPlatformDeps,
): SlackPlatform {
  const steps = new WorkflowSteps({
    store: store.records<WorkflowStepRecord>('workflow-steps'),
    approvals: gate,
    clients,
    logger,
    clock,
  });
  requestApproval(app, { gate, steps, logger });
  return {
    steps,
    async start() {
      await steps.start();
    },
    stop() {
      steps.stop();
    },
  };
}
