import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the store suites run on (trust auth on every development and CI machine). */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';

/** CI (or REQUIRE_SERVICES=1) must not skip: an unreachable service fails the run there. */
export const SERVICES_REQUIRED = Boolean(process.env.CI?.trim()) || process.env.REQUIRE_SERVICES === '1';

/** Whether PostgreSQL answers within a second. */
export async function postgresReachable(url = POSTGRES_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * True when the PostgreSQL suites can run; otherwise prints the one line saying how to run them,
 * or throws when services are required.
 */
export async function postgresAvailable(): Promise<boolean> {
  if (await postgresReachable()) return true;
  const how = `PostgreSQL is not reachable at ${new URL(POSTGRES_URL).host}`;
  if (SERVICES_REQUIRED) throw new Error(`${how}, and CI or REQUIRE_SERVICES=1 requires it`);
  console.warn(`${how}: PostgreSQL store suites skipped (start PostgreSQL 15 or set TEST_POSTGRES_URL to run them)`);
  return false;
}

/** A schema name no other run uses. */
export function freshSchema(prefix = 'gh_test'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** The store URL of `schema` on the test server. */
export function schemaUrl(schema: string, base = POSTGRES_URL): string {
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Drops a schema a run created, with everything in it. */
export async function dropSchema(schema: string, base = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
