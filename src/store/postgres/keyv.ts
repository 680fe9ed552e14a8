import type { Pool } from 'pg';

/**
 * A Keyv store on the PostgreSQL store's own pool and schema (Keyv awaits whatever its store
 * returns), so a cluster opens one pool per instance instead of a second one for `@keyv/postgres`.
 * Values are Keyv's serialized strings; Keyv keeps the expiry inside them.
 */
export class PostgresKeyvMap {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    /** Keyv assigns its namespace here too; it is the same value. */
    public namespace: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>(
      `SELECT value FROM "${this.schema}".kv WHERE ns = $1 AND key = $2`,
      [this.namespace, key],
    );
    return rows[0]?.value;
  }

  async set(key: string, value: string): Promise<boolean> {
    await this.pool.query(
      `INSERT INTO "${this.schema}".kv (ns, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value`,
      [this.namespace, key, value],
    );
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM "${this.schema}".kv WHERE ns = $1 AND key = $2`, [
      this.namespace,
      key,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async clear(): Promise<void> {
    await this.pool.query(`DELETE FROM "${this.schema}".kv WHERE ns = $1`, [this.namespace]);
  }
}
