import type { PoolClient } from 'pg';
import type PgBoss from 'pg-boss';
import { v5 as uuidv5 } from 'uuid';

/** An effect of `kind` due at `runAt` (epoch ms): what instances tell each other to wake their workers. */
export type Wake = [kind: string, runAt: number];

/** An effect as a pg-boss job carries it. `runs` counts the jobs of this key so far (it names the next one). */
export interface JobData {
  key: string;
  payload: Record<string, unknown>;
  runAt: number;
  createdAt: number;
  attempts: number;
  lastError: string | null;
  runs: number;
}

/** pg-boss retries a job this often (in effect: until it is done) when its lease expired or a retry could not be recorded. */
const RETRY_FOREVER = 1_000_000_000;
/** Jobs never started are archived after their retention; owed work must outlive any outage. */
const RETENTION_DAYS = 3650;
/** Namespace of the job ids: uuid v5 of `<effect key>#<run>`, so each run of an effect is sent once. */
const JOB_ID_NAMESPACE = uuidv5('https://gatehouse.dev/effects', uuidv5.URL);

/** The job id of run `runs` of the effect `key` (deterministic, so a repeated send is a no-op). */
export function jobId(key: string, runs: number): string {
  return uuidv5(`${key}#${runs}`, JOB_ID_NAMESPACE);
}

/**
 * The options every effect job is sent with: leased for `leaseMs` (pg-boss's expiration, whole
 * seconds), then retried by any worker 1 s after pg-boss's maintenance found it expired.
 */
export function jobOptions(leaseMs: number): PgBoss.SendOptions {
  return {
    expireInSeconds: Math.max(1, Math.ceil(leaseMs / 1000)),
    retryLimit: RETRY_FOREVER,
    retryDelay: 1,
    retryBackoff: false,
    retentionDays: RETENTION_DAYS,
  };
}

/** pg-boss's `db` option: its SQL runs on our transaction's client. */
export function onClient(client: PoolClient): PgBoss.Db {
  return { executeSql: (text, values) => client.query(text, values) };
}

/** True for PostgreSQL's deadlock error (SQLSTATE 40P01). */
export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01';
}
