import type { App } from '@slack/bolt';
import { register as agent, type TaskCommandDeps } from './agent.js';

export type { TaskCommandDeps } from './agent.js';
export { type AgentCommand, type ParsedCommand, parseAgentCommand } from './parse.js';

/** Registers the `/agent` slash command. */
export function registerTaskCommands(app: App, deps: TaskCommandDeps): void {
  agent(app, deps);
}
