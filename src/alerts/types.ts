import type { MessageRef } from '../approvals/types.js';

/** What happened. */
export type AlertKind = 'failure' | 'cost_warning' | 'budget_exceeded' | 'completion' | 'custom';

/** How loud: decides the route (critical → #alerts + team e-mail, warning → #monitoring + owner, info → #status). */
export type Severity = 'critical' | 'warning' | 'info';

/** An alert as agents send it (library call or `POST /api/v1/alerts`). */
export interface AlertInput {
  kind: AlertKind;
  taskId?: string;
  stage?: string;
  /** An error message or stack; masked and trimmed before it leaves the process. */
  error?: string;
  currentCost?: number;
  budget?: number;
  durationSeconds?: number;
  title?: string;
  message?: string;
  /** Overrides the kind's default severity. */
  severity?: Severity;
  /** Alerts with the same key within the window are grouped; default kind + task + stage. */
  dedupKey?: string;
}

/** Where an alert goes. */
export interface Route {
  slack: string[];
  email: string[];
}

/** One try to deliver to one target. */
export interface DeliveryAttempt {
  at: string;
  ok: boolean;
  error?: string;
}

/** Delivery to one target: a Slack channel or thread, or an e-mail list. */
export interface Delivery {
  /**
   * `slack:C0123`, `slack-thread:C0123:1700000000.000100` (a reply in a task's thread), or
   * `email:team` / `email:owner` / `email:route` (a routing file's own list) / `email:fallback`.
   */
  target: string;
  /** `digest`: a storm digest stands for it (`message` is the digest's). */
  status: 'pending' | 'sent' | 'failed' | 'fallback' | 'digest';
  /** The Slack message, once posted (or the storm digest's); storms update it in place. */
  message?: MessageRef;
  /** How many occurrences the delivered message or e-mail shows. */
  deliveredCount?: number;
  attempts: DeliveryAttempt[];
}

/** An alert group as stored: one per dedup key and window, counting every occurrence. */
export interface AlertRecord {
  id: string;
  kind: AlertKind;
  severity: Severity;
  dedupKey: string;
  taskId: string | null;
  stage: string | null;
  /** Rendered and masked: safe to show anywhere. */
  title: string;
  message: string;
  error: string | null;
  currentCost: number | null;
  budget: number | null;
  percent: number | null;
  durationSeconds: number | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  route: Route;
  deliveries: Delivery[];
  /**
   * `pending` while a delivery is pending or a posted message does not show the latest count yet
   * (what `AlertManager.start()` resumes after a restart); `done` otherwise; `undelivered` when
   * neither Slack nor e-mail took it within the delivery horizon.
   */
  state?: 'pending' | 'done' | 'undelivered';
  /** Info alerts arriving in quiet hours are held until then (ISO time); null when not held. */
  heldUntil?: string | null;
  version: number;
}
