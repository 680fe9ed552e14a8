import { type Clock, systemClock } from '../clock.js';
import { SEVERITIES } from './schema.js';
import type { AlertRecord, Severity } from './types.js';

/** Alerts of the last hours: occurrences per severity, in total and per hour. */
export interface AlertSummary {
  hours: number;
  /** Occurrences (a grouped alert counts every time it fired) per severity. */
  bySeverity: Record<Severity, number>;
  /** One row per hour, oldest first; `hour` is the ISO time the hour starts. */
  perHour: Array<{ hour: string } & Record<Severity, number>>;
}

/** The read side of alerts the dashboard needs; callers depend on this interface only. */
export interface AlertQueries {
  summary(options: { hours: number }): Promise<AlertSummary>;
}

const HOUR_MS = 3_600_000;
/** Groups one summary reads at most: a storm is one group, so this covers a very busy day. */
const MAX_GROUPS = 10_000;

/** AlertQueries over the alert history (last seen first) the AlertManager keeps. */
export class HistoryAlertQueries implements AlertQueries {
  constructor(
    private readonly alerts: {
      history(options: { since?: Date | string; limit?: number }): Promise<AlertRecord[]>;
    },
    private readonly clock: Clock = systemClock,
  ) {}

  async summary({ hours }: { hours: number }): Promise<AlertSummary> {
    const now = this.clock.now();
    const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
    const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const perHour = Array.from({ length: hours }, (_, i) => ({
      hour: new Date(firstHour + i * HOUR_MS).toISOString(),
      ...zero(),
    }));
    const bySeverity = zero();
    const groups = await this.alerts.history({ since: new Date(firstHour), limit: MAX_GROUPS });
    for (const group of groups) {
      // A group is counted where it was last seen: its occurrences have no times of their own.
      const index = Math.floor((Date.parse(group.lastSeen) - firstHour) / HOUR_MS);
      const row = perHour[index];
      if (!row) continue;
      row[group.severity] += group.count;
      bySeverity[group.severity] += group.count;
    }
    return { hours, bySeverity, perHour };
  }
}
