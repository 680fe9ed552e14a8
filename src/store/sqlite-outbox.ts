import type Database from 'better-sqlite3';
import type { OutboxTable } from './local-effects.js';
import { uniqueEffects } from './shared.js';
import type { Effect, StoredEffect } from './types.js';

interface Row {
  key: string;
  kind: string;
  payload: string;
  run_at: number;
  created_at: number;
  attempts: number;
  last_error: string | null;
}

/** The outbox table of a SQLite store; claims are atomic under the file's write lock. */
export class SqliteOutbox implements OutboxTable {
  private readonly statements;
  private readonly nextDueStatements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare(
        'INSERT INTO outbox (key, kind, payload, run_at, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
      ),
      claim: db.prepare<[string, number, string, number, number, number, number], Row>(
        `UPDATE outbox SET owner = ?, lease_until = ? WHERE key IN (
           SELECT key FROM outbox WHERE kind = ? AND run_at <= ? AND lease_until <= ? ORDER BY run_at, created_at LIMIT ?
         ) AND lease_until <= ? RETURNING key, kind, payload, run_at, created_at, attempts, last_error`,
      ),
      complete: db.prepare('DELETE FROM outbox WHERE key = ? AND owner = ?'),
      reschedule: db.prepare(
        'UPDATE outbox SET run_at = ?, owner = NULL, lease_until = 0, last_error = ?, attempts = attempts + ? WHERE key = ? AND owner = ?',
      ),
      owedAll: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox'),
      owedKind: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM outbox WHERE kind = ?'),
    };
  }

  /** Inside a record write's transaction. */
  insertNow(effects: Effect[], now: number): void {
    for (const effect of effects) {
      this.statements.insert.run(effect.key, effect.kind, JSON.stringify(effect.payload), effect.runAt ?? now, now);
    }
  }

  async insert(effects: Effect[], now: number): Promise<void> {
    this.db.transaction(() => this.insertNow(uniqueEffects(effects), now)).immediate();
  }

  async claim(kind: string, now: number, limit: number, leaseUntil: number, owner: string): Promise<StoredEffect[]> {
    const rows = this.statements.claim.all(owner, leaseUntil, kind, now, now, limit, now);
    return rows.map((row) => ({
      key: row.key,
      kind: row.kind,
      payload: JSON.parse(row.payload) as Record<string, unknown>,
      runAt: row.run_at,
      createdAt: row.created_at,
      attempts: row.attempts,
      lastError: row.last_error,
    }));
  }

  async complete(key: string, owner: string): Promise<void> {
    this.statements.complete.run(key, owner);
  }

  async reschedule(key: string, owner: string, runAt: number, error: string, failed: boolean): Promise<void> {
    this.statements.reschedule.run(runAt, error, failed ? 1 : 0, key, owner);
  }

  async nextDue(kinds: string[], now: number): Promise<number | null> {
    if (kinds.length === 0) return null;
    const marks = kinds.map(() => '?').join(', ');
    const sql = `SELECT min(run_at) AS at FROM outbox WHERE kind IN (${marks}) AND run_at > ?`;
    // Kept, not prepared anew: better-sqlite3 12 on Node 24 aborts when it collects a statement.
    let statement = this.nextDueStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.nextDueStatements.set(sql, statement);
    }
    const row = statement.get(...kinds, now) as { at: number | null };
    return row.at;
  }

  async owed(kind?: string): Promise<number> {
    return (kind === undefined ? this.statements.owedAll.get() : this.statements.owedKind.get(kind))?.n ?? 0;
  }
}
