import { ConfigError } from '../../errors.js';

/** Where a `postgres://` store lives: the connection for `pg` and the schema holding every table. */
export interface PostgresLocation {
  /** The URL without our own parameters, as `pg` reads it. */
  connectionString: string;
  /** Lower-case identifier: pg-boss folds it unquoted, so ours must match it exactly. */
  schema: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,49}$/;

/** Reads `postgres://…` or `postgresql://…` with an optional `?schema=name` (default `public`). */
export function parsePostgresUrl(url: string): PostgresLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([{ field: 'STORE_URL', message: 'is not a valid postgres:// URL' }]);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError([
      {
        field: 'STORE_URL',
        message: `schema ${JSON.stringify(schema)} must be a lower-case identifier (letters, digits, _; at most 50)`,
      },
    ]);
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/**
 * The tables of a store in schema `s` (an identifier checked by parsePostgresUrl). Bodies are text,
 * not jsonb: jsonb refuses `\u0000` and no query reads inside a body (index values are computed in
 * JS). Keys compare in the "C" collation, so ORDER BY agrees with the other backends' code-unit order.
 * `updated_at` lets a watcher that lost its LISTEN connection re-read what changed meanwhile.
 */
export function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS "${s}";
CREATE TABLE IF NOT EXISTS "${s}".rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint);
CREATE TABLE IF NOT EXISTS "${s}".records (
  ns text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, version integer NOT NULL, body text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ns, id)
);
CREATE TABLE IF NOT EXISTS "${s}".record_index (
  ns text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL,
  sort text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
  PRIMARY KEY (ns, name, value, sort, id)
);
CREATE INDEX IF NOT EXISTS record_index_of_record ON "${s}".record_index (ns, id);
CREATE TABLE IF NOT EXISTS "${s}".index_specs (ns text PRIMARY KEY, signature text NOT NULL);
CREATE TABLE IF NOT EXISTS "${s}".effect_keys (
  key text PRIMARY KEY, kind text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS "${s}".kv (
  ns text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, value text NOT NULL, PRIMARY KEY (ns, key)
);`;
}

/** The NOTIFY channel of a schema: every instance on it LISTENs here. */
export function channelOf(schema: string): string {
  return `gatehouse_${schema}`;
}
