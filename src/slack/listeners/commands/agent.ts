import type { App, SlashCommand } from '@slack/bolt';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError, ValidationError } from '../../../errors.js';
import type { AgentRegistry } from '../../../tasks/registry.js';
import type { TaskService } from '../../../tasks/service.js';
import { helpText, taskListText, taskStatusText, unknownAgentText, usageText } from '../../blocks/task-replies.js';
import { type AgentCommand, describeIssues, parseAgentCommand } from './parse.js';

/** What `/agent` hands its work to. */
export interface TaskCommandDeps {
  tasks: Pick<TaskService, 'start' | 'resume' | 'cancel' | 'status' | 'list'>;
  registry: Pick<AgentRegistry, 'get' | 'list' | 'parseInput'>;
  logger: Logger;
  /** Whether a command's `response_url` may be posted to (default: Slack's hooks.slack.com over https). */
  trustsResponseUrl?: (url: string) => boolean;
}

/** Slack's own response URLs; a signed request could still name another host. */
export function isSlackResponseUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname === 'hooks.slack.com';
  } catch {
    return false;
  }
}

/** How many tasks `/agent list` shows. */
const LIST_LIMIT = 15;

/**
 * `/agent start|resume|status|list|cancel|help`. The command is read (no I/O) and acknowledged
 * at once, with the usage when it cannot be read; the work follows the ack, and its outcome comes
 * through the command's `response_url` (which works in DMs, group DMs and private channels the
 * bot is not in), else as an ephemeral message, else as a direct message. A started task also gets
 * its progress message.
 */
export function register(app: App, deps: TaskCommandDeps): void {
  const trusts = deps.trustsResponseUrl ?? isSlackResponseUrl;
  app.command('/agent', async ({ command, ack, client, respond }) => {
    const reply = async (text: string) => {
      if (trusts(command.response_url)) {
        try {
          await respond({ response_type: 'ephemeral', text });
          return;
        } catch (err) {
          // Expired (30 minutes, 5 uses) or refused: the next ways still reach the user.
          deps.logger.warn({ err: String(err) }, 'could not answer /agent through its response_url');
        }
      }
      try {
        await client.chat.postEphemeral({ channel: command.channel_id, user: command.user_id, text });
      } catch {
        await client.chat
          .postMessage({ channel: command.user_id, text })
          .catch((err: unknown) => deps.logger.warn({ err }, 'could not answer /agent'));
      }
    };
    const parsed = parseAgentCommand(command.text);
    const first = parsed.ok ? firstAnswer(parsed.command, deps) : final(usageText(parsed.problem));
    await ack(first.text ? { response_type: 'ephemeral', text: first.text } : undefined);
    if (first.final || !parsed.ok) return;
    try {
      await run(parsed.command, command, deps, reply);
    } catch (error) {
      await reply(failureText(error, deps.logger));
    }
  });
}

/** The ack's text, and whether it is the whole answer (help, usage) or work follows. */
interface FirstAnswer {
  text: string | null;
  final: boolean;
}

const final = (text: string): FirstAnswer => ({ text, final: true });
const working = (text: string | null): FirstAnswer => ({ text, final: false });

function firstAnswer(command: AgentCommand, { registry }: TaskCommandDeps): FirstAnswer {
  switch (command.kind) {
    case 'help':
      return final(helpText(registry.list()));
    case 'start': {
      if (!registry.get(command.agent)) return final(unknownAgentText(command.agent, registry.list()));
      try {
        registry.parseInput(command.agent, command.params);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return final(usageText(describeIssues(error.issues, command.params)));
      }
      return working(`Starting ${command.agent}…`);
    }
    case 'resume':
      return working(`Resuming ${command.taskId}…`);
    case 'cancel':
      return working(`Cancelling ${command.taskId}…`);
    default:
      return working(null);
  }
}

async function run(
  command: AgentCommand,
  slash: SlashCommand,
  { tasks }: TaskCommandDeps,
  reply: (text: string) => Promise<void>,
): Promise<void> {
  switch (command.kind) {
    case 'start':
      await tasks.start(command.agent, command.params, { startedBy: slash.user_id, channel: slash.channel_id });
      return;
    case 'resume':
      await tasks.resume(command.taskId);
      return;
    case 'cancel':
      await reply(taskStatusText(await tasks.cancel(command.taskId, { by: slash.user_id })));
      return;
    case 'status':
      if (command.taskId) await reply(taskStatusText(await tasks.status(command.taskId)));
      else {
        const running = (await tasks.list({ limit: 100 })).filter((t) => t.status === 'running');
        await reply(taskListText(running, 'No tasks are running. `/agent list` shows recent ones.'));
      }
      return;
    case 'list':
      await reply(taskListText(await tasks.list({ limit: LIST_LIMIT })));
      return;
    case 'help':
      return;
  }
}

/** What went wrong, for the person who typed the command; unexpected errors are logged, not shown. */
function failureText(error: unknown, logger: Logger): string {
  if (error instanceof NotFoundError || error instanceof ConflictError) return `⚠️ ${error.message}`;
  if (error instanceof ValidationError) return usageText(error.message);
  logger.error({ err: error }, '/agent failed');
  return '⚠️ Gatehouse could not do that: please try again in a moment.';
}
