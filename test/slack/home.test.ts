import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertIndexes } from '../../src/alerts/groups.js';
import { AlertManager } from '../../src/alerts/manager.js';
import { createRouter } from '../../src/alerts/routing.js';
import type { AlertRecord } from '../../src/alerts/types.js';
import type { ApprovalGate } from '../../src/approvals/gate.js';
import { pendingFor } from '../../src/approvals/pending-for.js';
import { HomeLimits, homeView } from '../../src/slack/blocks/home.js';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { register as approveAction } from '../../src/slack/listeners/actions/approve.js';
import { registerTaskEvents } from '../../src/slack/listeners/events/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { TaskService } from '../../src/tasks/service.js';
import { eventually } from '../support/eventually.js';
import type { SlackCall } from '../support/fake-slack.js';
import { blockActionsPayload, interactiveBody, postSlack } from '../support/slack-requests.js';
import { SIGNING_SECRET, startBolt, type TestBolt } from '../tasks/bolt-app.js';
import { boot, stageHooks, testRegistry } from '../tasks/support.js';
import { assertWithinBlockKitLimits } from './blocks/block-kit-limits.js';

let bolt: TestBolt;
let gate: ApprovalGate;
let tasks: TaskService;
let alerts: AlertManager;
let stopRefresh: () => void;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  bolt = await startBolt();
  const store = new MemoryStore();
  const hooks = stageHooks();
  hooks.gates.set('work', new Promise(() => {}));
  ({ gate, tasks } = boot(store, testRegistry(hooks)));
  alerts = new AlertManager({
    store: store.records<AlertRecord>('alerts', alertIndexes),
    routing: createRouter({ channels: {} }),
  });
  stopRefresh = registerTaskEvents(bolt.app, {
    tasks,
    pendingApprovals: (viewers) => pendingFor(gate.records, viewers),
    alertHistory: (options) => alerts.history(options),
    gate,
    logger,
    // Every change shows at once here; the coalescing has its own tests (home-refresh.test.ts).
    refreshIntervalMs: 0,
  });
  approveAction(bolt.app, { gate, logger });
});
afterAll(async () => {
  stopRefresh();
  await bolt.close();
});
beforeEach(() => bolt.slack.reset());

const openHome = (user: string) =>
  bolt.event({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` });

const shown = (call: SlackCall) => JSON.stringify(call.body.view);

describe('App Home', () => {
  it('publishes the pending approvals the user may decide, with the channel message buttons', async () => {
    await gate.submit({ id: 'home-1', title: 'Launch campaign', approvers: ['U0ALICE'], explanation: 'Spend $50k' });
    await gate.submit({ id: 'home-2', title: 'Delete the old bucket', approvers: ['U0BOB'] });
    await tasks.start('three-step', { n: 1 }, { startedBy: 'U0ALICE', taskId: 'home-task-1' });
    await alerts.failure({ taskId: 'home-task-0', stage: 'launch', error: 'boom' });

    expect((await openHome('U0ALICE')).status).toBe(200);
    const published = await bolt.slack.waitFor('views.publish');
    expect(published.body.user_id).toBe('U0ALICE');
    const view = published.body.view;
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(HomeLimits.blocks);
    assertWithinBlockKitLimits(view.blocks, { surface: 'modal' });

    expect(shown(published)).toContain('Launch campaign');
    expect(shown(published)).not.toContain('Delete the old bucket');
    const actions = view.blocks.filter((b: { type: string }) => b.type === 'actions');
    expect(actions).toHaveLength(1);
    expect(actions[0].elements.map((e: { action_id: string; value: string }) => [e.action_id, e.value])).toEqual([
      [ActionId.Approve, 'home-1'],
      [ActionId.Reject, 'home-1'],
      [ActionId.ApproveWithChanges, 'home-1'],
    ]);
    expect(shown(published)).toContain('home-task-1');
    expect(shown(published)).toContain('Task home-task-0 failed');
    expect(shown(published)).toContain('Tasks run');
  });

  it('decides on a click in the Home tab, where there is no channel, and refreshes the tab', async () => {
    await gate.submit({ id: 'home-3', title: 'Send the newsletter', approvers: ['U0ALICE'] });
    await openHome('U0ALICE');
    await bolt.slack.waitFor('views.publish', (c) => shown(c).includes('home-3'));
    bolt.slack.reset();

    const click = blockActionsPayload({
      actionId: ActionId.Approve,
      value: 'home-3',
      userId: 'U0ALICE',
      overrides: { container: { type: 'view', view_id: 'V0HOME' }, channel: undefined, message: undefined },
    });
    const response = await postSlack(bolt.url, interactiveBody(click), { signingSecret: SIGNING_SECRET });
    expect(response.status).toBe(200);
    await eventually(
      () => gate.get('home-3'),
      (r) => r.status === 'approved',
    );
    const refreshed = await bolt.slack.waitFor('views.publish', (c) => !shown(c).includes('home-3'));
    expect(refreshed.body.user_id).toBe('U0ALICE');
  });

  it('ignores the messages tab', async () => {
    await bolt.event({ type: 'app_home_opened', user: 'U0ALICE', channel: 'D0HOME', tab: 'messages' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bolt.slack.callsTo('views.publish')).toHaveLength(0);
  });

  it("stays within a Home view's limits however much there is to show", async () => {
    const template = await gate.get('home-1');
    const approvals = Array.from({ length: 60 }, (_, i) => ({ ...template, id: `many-${i}`, title: 'x'.repeat(500) }));
    const running = await tasks.status('home-task-1');
    const history = await alerts.history();
    const view = homeView({
      approvals,
      tasks: Array.from({ length: 40 }, () => running),
      alerts: Array.from({ length: 80 }, () => history[0]!),
      stats: {
        total: 3,
        running: 1,
        completed: 1,
        failed: 1,
        failureRate: 0.5,
        avgDurationSeconds: 12,
        totalCostUsd: 0.5,
      },
      now: new Date(),
    });
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    assertWithinBlockKitLimits(view.blocks, { surface: 'modal' });
    expect(JSON.stringify(view.blocks)).toContain(`…and ${60 - HomeLimits.approvals} more approvals`);
    expect(JSON.stringify(view.blocks)).toContain('50 %');
  });
});
