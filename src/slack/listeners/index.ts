import type { App } from '@slack/bolt';
import { register as approve } from './actions/approve.js';
import { register as openModal } from './actions/open-modal.js';
import type { SlackDeps } from './deps.js';
import { register as submitted } from './views/submitted.js';

export type { SlackDeps } from './deps.js';

/** Registers every Slack listener on `app`. */
export function registerListeners(app: App, deps: SlackDeps): void {
  approve(app, deps);
  openModal(app, deps);
  submitted(app, deps);
}
