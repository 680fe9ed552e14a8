import { EventEmitter } from 'node:events';
import { type Clock, systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';

/** The record namespace metrics live in. */
export const METRICS_NAMESPACE = 'agent-metrics';

/** What is measured: an agent or a workflow. */
export type MetricsKind = 'agent' | 'workflow';

/** How one execution (one run of an agent or workflow) ended. */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Running aggregates as stored, one record per target; updated by compare-and-swap. */
interface MetricsRecord extends Versioned {
  /** The target: `agent:<name>` or `workflow:<name>`. */
  id: string;
  kind: MetricsKind;
  name: string;
  successes: number;
  failures: number;
  cancelled: number;
  /** Welford's running mean and sum of squared deviations of finished executions' durations. */
  meanMs: number;
  m2: number;
  minMs: number | null;
  maxMs: number | null;
  lastExecutionAt: string;
}

/**
 * Metrics of one agent or workflow since it was first run. `executions` counts finished runs
 * (succeeded or failed); cancelled runs are counted apart and stay out of rates and durations.
 * `stdevDurationMs` is the population standard deviation.
 */
export interface Metrics {
  target: string;
  kind: MetricsKind;
  name: string;
  executions: number;
  successes: number;
  failures: number;
  cancelled: number;
  /** Successes over executions, 0 to 1 (0 with no executions). */
  successRate: number;
  /** Failures over executions, 0 to 1 (0 with no executions). */
  failureRate: number;
  minDurationMs: number | null;
  avgDurationMs: number | null;
  maxDurationMs: number | null;
  stdevDurationMs: number | null;
  lastExecutionAt: string;
}

/** The target name of an agent or workflow: `agent:campaign-launch`, `workflow:digest`. */
export function targetOf(kind: MetricsKind, name: string): string {
  return `${kind}:${name}`;
}

const MAX_WRITE_ATTEMPTS = 25;

/**
 * Per-agent and per-workflow metrics, maintained incrementally in the store: they survive restarts,
 * are shared by every process on the same store, and do not depend on how much history is kept.
 */
export class MetricsStore {
  private readonly records: RecordStore<MetricsRecord>;
  private readonly clock: Clock;
  private readonly events = new EventEmitter().setMaxListeners(0);

  constructor({ store, clock = systemClock }: { store: Store; clock?: Clock }) {
    this.records = store.records<MetricsRecord>(METRICS_NAMESPACE);
    this.clock = clock;
  }

  /** Counts one execution of `name`; returns the updated metrics and tells `onRecorded` listeners. */
  async record(kind: MetricsKind, name: string, outcome: ExecutionOutcome, durationMs: number): Promise<Metrics> {
    const id = targetOf(kind, name);
    const at = new Date(this.clock.now()).toISOString();
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.records.get(id);
      const next = add(current ?? empty(id, kind, name, at), outcome, durationMs, at);
      const written = current
        ? await this.records.replace(next, current.version)
        : (await this.records.insert(next)).created;
      if (written) {
        const metrics = toMetrics(next);
        this.events.emit('recorded', metrics);
        return metrics;
      }
    }
    throw new StoreError(`metrics ${id}: too many concurrent writes`);
  }

  /** The metrics of `target` (`agent:<name>` or `workflow:<name>`), or undefined if never run. */
  async get(target: string): Promise<Metrics | undefined> {
    const record = await this.records.get(target);
    return record ? toMetrics(record) : undefined;
  }

  /** The metrics of every agent and workflow that has run. */
  async list(): Promise<Metrics[]> {
    const [agents, workflows] = await Promise.all([
      this.records.findBy('kind', 'agent'),
      this.records.findBy('kind', 'workflow'),
    ]);
    return [...agents, ...workflows].map(toMetrics).sort((a, b) => a.target.localeCompare(b.target));
  }

  /** Calls `listener` after every execution this instance records. Returns the unsubscribe. */
  onRecorded(listener: (metrics: Metrics) => void): () => void {
    this.events.on('recorded', listener);
    return () => this.events.off('recorded', listener);
  }
}

function empty(id: string, kind: MetricsKind, name: string, at: string): MetricsRecord {
  return {
    id,
    kind,
    name,
    successes: 0,
    failures: 0,
    cancelled: 0,
    meanMs: 0,
    m2: 0,
    minMs: null,
    maxMs: null,
    lastExecutionAt: at,
    version: 0,
  };
}

function add(record: MetricsRecord, outcome: ExecutionOutcome, durationMs: number, at: string): MetricsRecord {
  const next = { ...record, lastExecutionAt: at, version: record.version + 1 };
  if (outcome === 'cancelled') return { ...next, cancelled: record.cancelled + 1 };
  const n = record.successes + record.failures + 1;
  const delta = durationMs - record.meanMs;
  const meanMs = record.meanMs + delta / n;
  return {
    ...next,
    successes: record.successes + (outcome === 'succeeded' ? 1 : 0),
    failures: record.failures + (outcome === 'failed' ? 1 : 0),
    meanMs,
    m2: record.m2 + delta * (durationMs - meanMs),
    minMs: record.minMs === null ? durationMs : Math.min(record.minMs, durationMs),
    maxMs: record.maxMs === null ? durationMs : Math.max(record.maxMs, durationMs),
  };
}

function toMetrics(record: MetricsRecord): Metrics {
  const executions = record.successes + record.failures;
  const measured = executions > 0;
  return {
    target: record.id,
    kind: record.kind,
    name: record.name,
    executions,
    successes: record.successes,
    failures: record.failures,
    cancelled: record.cancelled,
    successRate: measured ? record.successes / executions : 0,
    failureRate: measured ? record.failures / executions : 0,
    minDurationMs: record.minMs,
    avgDurationMs: measured ? record.meanMs : null,
    maxDurationMs: record.maxMs,
    stdevDurationMs: measured ? Math.sqrt(Math.max(0, record.m2) / executions) : null,
    lastExecutionAt: record.lastExecutionAt,
  };
}
