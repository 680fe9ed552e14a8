import type { App } from '@slack/bolt';
import type { ApprovalGate } from '../../../approvals/gate.js';
import { register as appHomeOpened } from './app-home-opened.js';
import { type HomeDeps, HomePublisher } from './home.js';

export { type HomeDeps, HomePublisher } from './home.js';

/** What the event listeners need: the Home tab's sources, and the gate's events to keep tabs current. */
export interface TaskEventDeps extends HomeDeps {
  gate?: Pick<ApprovalGate, 'onRequested' | 'onDecided'>;
}

/** Registers the Home tab (`app_home_opened`); returns a function that stops its refreshes. */
export function registerTaskEvents(app: App, deps: TaskEventDeps): () => void {
  const home = new HomePublisher(deps);
  appHomeOpened(app, { home, logger: deps.logger });
  if (!deps.gate) return () => {};
  const refresh = (approval: Parameters<HomePublisher['approvalChanged']>[1]) =>
    home.approvalChanged(app.client, approval);
  const off = [deps.gate.onRequested(refresh), deps.gate.onDecided(refresh)];
  return () => {
    for (const unsubscribe of off) unsubscribe();
  };
}
