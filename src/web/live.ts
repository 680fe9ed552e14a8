import { Router } from 'express';
import type { ApprovalEventListener } from '../approvals/events.js';

/** How often an open stream gets a comment, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;

/** Options of the live stream. */
export interface LiveOptions {
  onEvent(listener: ApprovalEventListener): () => void;
  /** Aborted when the server stops: open streams end, so none holds the shutdown. */
  shutdown: AbortSignal;
  keepAliveMs?: number;
}

/**
 * `GET /events`: Server-Sent Events of every approval's changes for the open pages, as small
 * notices (`{ id, type, status, actor, via }`); a page fetches what it shows again through its
 * own signed-in routes, so the stream carries no request content.
 */
export function liveRoutes({ onEvent, shutdown, keepAliveMs = KEEP_ALIVE_MS }: LiveOptions): Router {
  const router = Router();
  router.get('/events', (req, res) => {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    let seq = 0;
    const unsubscribe = onEvent((event) => {
      const via = event.record.decision?.via ?? null;
      const notice = { id: event.approvalId, type: event.type, status: event.record.status, actor: event.actor, via };
      res.write(`event: approval\nid: ${seq++}\ndata: ${JSON.stringify(notice)}\n\n`);
    });
    res.write(': connected\n\n');
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs).unref();
    const end = () => {
      unsubscribe();
      clearInterval(keepAlive);
      shutdown.removeEventListener('abort', end);
      if (!res.writableEnded) res.end();
    };
    req.on('close', end);
    if (shutdown.aborted) end();
    else shutdown.addEventListener('abort', end, { once: true });
  });
  return router;
}
