import { type Response as ExpressResponse, Router } from 'express';
import { z } from 'zod';
import type { ApprovalEvent } from '../approvals/events.js';
import type { ApprovalGate } from '../approvals/gate.js';
import { approvalIdSchema, parseOrThrow } from '../approvals/schema.js';
import { presentApproval } from './approvals.js';
import { ApprovalWatchers } from './watchers.js';

/** How often an open stream gets a comment, so proxies and load balancers keep it open. */
export const KEEP_ALIVE_MS = 15_000;

/** Options of the event stream routes. */
export interface ApprovalEventRoutesOptions {
  /** Interval of the `: keep-alive` comment (tests shorten it). */
  keepAliveMs?: number;
  /** Aborted when the server stops: open streams are ended, so none holds the shutdown. */
  shutdown?: AbortSignal;
  /** The open-request registry to share with other routes; by default one of its own. */
  watchers?: ApprovalWatchers;
}

/**
 * `GET /approvals/:id/events`: a Server-Sent Events stream of one approval. First an `event:
 * status` with the approval as GET /approvals/:id returns it, then one event per gate event for
 * that id (`event: <type>`, `id: <n>`, `data: <json>`); the stream ends after the decision. Mounted
 * inside /api/v1, so the bearer token guards it like every other route.
 */
export function approvalEventRoutes(
  gate: Pick<ApprovalGate, 'get' | 'onEvent' | 'onceDecided'>,
  {
    keepAliveMs = KEEP_ALIVE_MS,
    shutdown,
    watchers = new ApprovalWatchers(gate, shutdown),
  }: ApprovalEventRoutesOptions = {},
): Router {
  const router = Router();
  const keepAlive = new KeepAlive(keepAliveMs);

  router.get('/approvals/:id/events', async (req, res) => {
    const { id } = parseOrThrow(z.object({ id: approvalIdSchema }), req.params);
    // Watch before reading, so an event landing in between is held rather than missed.
    const held: ApprovalEvent[] = [];
    let deliver = (event: ApprovalEvent) => void held.push(event);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unwatch();
      keepAlive.remove(res);
      res.off('close', close);
    };
    const end = () => {
      close();
      if (!res.writableEnded) res.end();
    };
    let stopping = watchers.closed;
    const unwatch = watchers.watch(id, {
      event: (event) => deliver(event),
      shutdown() {
        stopping = true;
        if (res.headersSent) end();
      },
    });
    // Before any await: a client gone while the approval is read still frees the watch.
    res.on('close', close);
    const record = await gate.get(id).catch((error: unknown) => {
      close();
      throw error;
    });
    if (closed) return;

    let seq = 0;
    const write = (type: string, data: unknown) => {
      res.write(`event: ${type}\nid: ${seq++}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.status(200).set(STREAM_HEADERS);
    res.flushHeaders();
    write('status', presentApproval(record));
    if (record.status !== 'pending' || stopping) return end();

    deliver = (event) => {
      if (closed) return;
      const { type, approvalId, at, actor, data } = event;
      write(type, { type, approvalId, at, actor, data, approval: presentApproval(event.record) });
      if (type === 'decided') end();
    };
    // Held events the snapshot already reflects are not sent again.
    for (const event of held) if (event.record.version > record.version) deliver(event);
    held.length = 0;
    if (!closed) keepAlive.add(res);
  });

  return router;
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx and similar proxies would otherwise buffer the stream.
  'X-Accel-Buffering': 'no',
};

/** One interval for every open stream of a router, running only while one is open. */
class KeepAlive {
  private readonly streams = new Set<ExpressResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly everyMs: number) {}

  add(res: ExpressResponse): void {
    this.streams.add(res);
    this.timer ??= setInterval(() => {
      for (const stream of this.streams) stream.write(': keep-alive\n\n');
    }, this.everyMs).unref();
  }

  remove(res: ExpressResponse): void {
    if (!this.streams.delete(res) || this.streams.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
