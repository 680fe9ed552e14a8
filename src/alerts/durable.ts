import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Effect, EffectQueue } from '../store/types.js';
import type { Deliverer } from './delivery.js';
import type { AlertGroups } from './groups.js';
import type { AlertRecord } from './types.js';

/** Kind of the effect that delivers an alert group. */
export const DELIVER_ALERT = 'alert.deliver';
/** How long one run waits for its deliveries to settle before handing the effect back for later. */
const SETTLE_WAIT_MS = 45_000;

/** The delivery an alert group owes from the moment it is stored: due at once, or when its hold ends. */
export function deliveryEffect(record: AlertRecord): Effect {
  return {
    key: `alert:${record.id}`,
    kind: DELIVER_ALERT,
    payload: { alertId: record.id },
    runAt: record.heldUntil ? Date.parse(record.heldUntil) : undefined,
  };
}

/**
 * Runs alert deliveries as effects, so none lives only in memory: the instance that claims one
 * dispatches it (paced posts, e-mail fallback) and the effect stays owed until Slack or e-mail took
 * the alert. When both failed, both are tried again with backoff until `horizonMs` after the alert
 * was first seen; then it is marked `undelivered` (kept in history, counted in /metrics, logged).
 */
export function registerAlertDelivery(parts: {
  effects: EffectQueue;
  groups: AlertGroups;
  deliverer: Deliverer;
  clock: Clock;
  logger: Logger;
  horizonMs: number;
}): void {
  const { effects, groups, deliverer, clock, logger, horizonMs } = parts;
  effects.handle(DELIVER_ALERT, async (effect) => {
    const id = String(effect.payload.alertId);
    let record = await groups.get(id);
    if (!record || record.state === 'undelivered') return;
    if (effect.attempts > 0 && !delivered(record) && settled(record)) {
      // Another round for every channel that failed: Slack and e-mail alike.
      record = await groups.write(id, (current) => ({
        ...current,
        deliveries: current.deliveries.map((d) =>
          d.status === 'sent' || d.status === 'digest' ? d : { ...d, status: 'pending' as const },
        ),
      }));
    }
    const outcome = await untilSettled(groups, deliverer, record, SETTLE_WAIT_MS);
    if (!outcome || !settled(outcome)) throw new Error(`alert ${id}: deliveries still under way`);
    if (delivered(outcome)) return;
    if (clock.now() - Date.parse(outcome.firstSeen) < horizonMs) {
      throw new Error(`alert ${id} reached neither Slack nor e-mail yet`);
    }
    await groups.write(id, (current) => ({ ...current, state: 'undelivered' }));
    logger.error(
      { alertId: id, kind: outcome.kind, taskId: outcome.taskId },
      'alert undelivered: Slack and e-mail both failed until the horizon',
    );
  });
}

function settled(record: AlertRecord): boolean {
  return record.deliveries.every((d) => d.status !== 'pending');
}

function delivered(record: AlertRecord): boolean {
  return record.deliveries.length === 0 || record.deliveries.some((d) => d.status === 'sent' || d.status === 'digest');
}

/** Dispatches the group and resolves with it once no delivery is pending (or undefined after `waitMs`). */
function untilSettled(
  groups: AlertGroups,
  deliverer: Deliverer,
  record: AlertRecord,
  waitMs: number,
): Promise<AlertRecord | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), waitMs).unref();
    const finish = (result: AlertRecord | undefined) => {
      clearTimeout(timer);
      off();
      resolve(result);
    };
    const off = groups.onWrite(record.id, (written) => {
      if (settled(written)) finish(written);
    });
    if (settled(record)) finish(record);
    else deliverer.dispatch(record);
  });
}
