import type Database from 'better-sqlite3';

/**
 * A Map-compatible Keyv store on the store's own SQLite connection (Keyv accepts any Map-like
 * store), so one file has one connection. Values are Keyv's serialized strings.
 */
export class SqliteKeyvMap {
  private readonly statements;

  constructor(
    db: Database.Database,
    private readonly namespace: string,
  ) {
    this.statements = {
      get: db.prepare<[string, string], { value: string }>('SELECT value FROM kv WHERE ns = ? AND key = ?'),
      set: db.prepare(
        'INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value',
      ),
      delete: db.prepare('DELETE FROM kv WHERE ns = ? AND key = ?'),
      clear: db.prepare('DELETE FROM kv WHERE ns = ?'),
    };
  }

  get(key: string): string | undefined {
    return this.statements.get.get(this.namespace, key)?.value;
  }

  set(key: string, value: string): this {
    this.statements.set.run(this.namespace, key, value);
    return this;
  }

  delete(key: string): boolean {
    return this.statements.delete.run(this.namespace, key).changes > 0;
  }

  clear(): void {
    this.statements.clear.run(this.namespace);
  }
}
