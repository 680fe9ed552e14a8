import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use (`TEST_REDIS_URL`, default the local one). */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** How to run the suites that need Redis, printed when they are skipped. */
export const HOW_TO_RUN = `Redis tests skipped: no Redis at ${REDIS_URL} (start one, or set TEST_REDIS_URL; CI=1 or REQUIRE_SERVICES=1 makes this a failure)`;

/** True when Redis answers a PING within a second; throws instead when CI or REQUIRE_SERVICES asks for it. */
export async function redisReachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (error) {
    if (process.env.CI || process.env.REQUIRE_SERVICES === '1') {
      throw new Error(`Redis is required here but ${REDIS_URL} does not answer: ${(error as Error).message}`);
    }
    console.log(HOW_TO_RUN);
    return false;
  } finally {
    client.disconnect();
  }
}

/** A key prefix no other run uses. */
export function freshPrefix(): string {
  return `gatehouse-test-${randomBytes(6).toString('hex')}:`;
}

/** The store URL of a prefix. */
export function urlWithPrefix(prefix: string): string {
  const url = new URL(REDIS_URL);
  url.searchParams.set('prefix', prefix);
  return url.toString();
}

/** Deletes every key under `prefix` (SCAN + DEL), so a run leaves nothing behind. */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
