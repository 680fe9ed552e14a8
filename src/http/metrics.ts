import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ApprovalGate } from '../approvals/gate.js';
import type { EffectQueue } from '../store/types.js';

/** Prometheus metrics of one Gatehouse process, on its own registry (tests run several at once). */
export function createMetrics(
  gate: ApprovalGate,
  effects: Pick<EffectQueue, 'owed'>,
): { registry: Registry; handler: RequestHandler } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });

  const requested = new Counter({
    name: 'gatehouse_approvals_requested_total',
    help: 'Approval requests stored by this process',
    registers: [registry],
  });
  const decided = new Counter({
    name: 'gatehouse_approvals_decided_total',
    help: 'Approvals decided in this process, by outcome and surface',
    labelNames: ['status', 'via'],
    registers: [registry],
  });
  new Gauge({
    name: 'gatehouse_approvals_pending',
    help: 'Approvals pending in the store',
    registers: [registry],
    async collect() {
      this.set(await gate.records.count('status', 'pending'));
    },
  });
  new Gauge({
    name: 'gatehouse_effects_owed',
    help: 'Effects recorded and not done yet (announcements, outcomes, callbacks, audit entries, ladder steps, alert deliveries)',
    registers: [registry],
    async collect() {
      this.set(await effects.owed());
    },
  });
  gate.onRequested(() => requested.inc());
  gate.onDecided((record) => decided.inc({ status: record.status, via: record.decision?.via ?? 'unknown' }));

  const handler: RequestHandler = async (_req, res) => {
    res.set('content-type', registry.contentType).send(await registry.metrics());
  };
  return { registry, handler };
}
