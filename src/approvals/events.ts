import type { Logger } from 'pino';
import type { ApprovalRecord } from './types.js';

/** Everything that happens to an approval, as the gate reports it (audit trail, streams, callbacks). */
export type ApprovalEventType = 'requested' | 'announced' | 'vote' | 'decided' | 'reminded' | 'escalated' | 'delivery';

/** One thing that happened to one approval, with the record as it stood right after. */
export interface ApprovalEvent {
  type: ApprovalEventType;
  approvalId: string;
  /** ISO time from the gate's clock. */
  at: string;
  /** Who did it: a Slack user id, an API caller, `gatehouse` for deadlines and ladder steps. */
  actor: string | null;
  /** Event details: the vote, where a message or e-mail went, a delivery's result, … */
  data: Record<string, unknown>;
  record: ApprovalRecord;
}

/** Receives approval events; errors thrown here are logged by the emitter and never stop the gate. */
export type ApprovalEventListener = (event: ApprovalEvent) => void | Promise<void>;

/** Hands each event to every listener; a failing listener is logged and never stops the gate. */
export class EventHub {
  private readonly listeners = new Set<ApprovalEventListener>();

  constructor(private readonly logger: Logger) {}

  /** Adds a listener; returns the unsubscribe. */
  add(listener: ApprovalEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(event: ApprovalEvent): void {
    for (const listener of this.listeners) {
      Promise.resolve()
        .then(() => listener(event))
        .catch((error: unknown) =>
          this.logger.error(
            { err: error, approvalId: event.approvalId, event: event.type },
            'approval event listener failed',
          ),
        );
    }
  }
}
