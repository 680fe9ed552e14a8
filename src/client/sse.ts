import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ServerError } from '../errors.js';
import { abortReason, connectionError } from './errors.js';
import { asApproval } from './shapes.js';
import type { ApprovalStreamEvent } from './types.js';

/**
 * The events of an approval's SSE stream (src/http/events.ts), parsed: `status` carries the
 * approval itself, every other event `{ type, at, actor, data, approval }`.
 */
export async function* readApprovalEvents(
  url: string,
  res: Response,
  signal: AbortSignal,
): AsyncGenerator<ApprovalStreamEvent> {
  if (!res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
    throw new ServerError(`${url} answered with something that is not an event stream`, res.status);
  }
  const messages = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  try {
    for await (const message of messages) {
      let data: unknown;
      try {
        data = JSON.parse(message.data);
      } catch {
        throw new ServerError(`${url} sent an event that is not JSON`, res.status);
      }
      if (message.event === 'status') {
        yield { type: 'status', approval: asApproval(url, data) };
        continue;
      }
      const event = data as { type?: string; at?: string; actor?: string | null; data?: Record<string, unknown> };
      const approval = asApproval(url, (data as { approval?: unknown }).approval);
      yield {
        type: (event.type ?? message.event ?? 'message') as Exclude<ApprovalStreamEvent['type'], 'status'>,
        at: event.at ?? '',
        actor: event.actor ?? null,
        data: event.data ?? {},
        approval,
      };
    }
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    if (error instanceof ServerError) throw error;
    throw connectionError(url, error);
  }
}
