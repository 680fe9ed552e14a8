import { ConfigError } from '../../errors.js';

/** The default key prefix: every key Gatehouse writes starts with it. */
export const DEFAULT_PREFIX = 'gatehouse:';

/** A `redis://` URL split into what ioredis connects to and the key prefix of this deployment. */
export interface RedisTarget {
  /** The URL without Gatehouse's own query parameters (ioredis reads the others as options). */
  url: string;
  /** Ends with `:`. */
  prefix: string;
}

/** Reads `redis://[user:pass@]host:port[/db][?prefix=name]`; `prefix` defaults to `gatehouse:`. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError([{ field: 'STORE_URL', message: 'expected a URL such as redis://127.0.0.1:6379' }]);
  }
  const named = parsed.searchParams.get('prefix');
  parsed.searchParams.delete('prefix');
  if (named !== null && !/^[\w.-]+:?$/.test(named)) {
    throw new ConfigError([
      {
        field: 'STORE_URL',
        message: `prefix ${JSON.stringify(named)} may hold only letters, digits, "_", "." and "-"`,
      },
    ]);
  }
  const prefix = named === null ? DEFAULT_PREFIX : named.endsWith(':') ? named : `${named}:`;
  return { url: parsed.toString(), prefix };
}

/**
 * Where everything lives under one prefix. Namespaces hold no `:`, so `<ns>:<id>` is unambiguous;
 * index names are URI-encoded for the same reason, and the index value comes last.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** A hash: `v` the version, `b` the JSON body, `i` the JSON list of its index entries ([zset, member]). */
  record(namespace: string, id: string): string {
    return `${this.prefix}r:${namespace}:${id}`;
  }

  /** What `record` puts before the id, for the query script that turns members into keys. */
  recordPrefix(namespace: string): string {
    return `${this.prefix}r:${namespace}:`;
  }

  /** A sorted set of `sort\0id` members, all at score 0, ordered lexicographically. */
  index(namespace: string, name: string, value: string): string {
    return `${this.prefix}i:${namespace}:${encodeURIComponent(name)}:${value}`;
  }

  /** Hash of namespace → signature of the index spec its entries were written with. */
  get specs(): string {
    return `${this.prefix}specs`;
  }

  /** Hash of effect key → JSON of the owed effect. */
  get outbox(): string {
    return `${this.prefix}outbox`;
  }

  /** Sorted set of effect keys by when the reconciler should next make sure a job exists for them. */
  get outboxCheck(): string {
    return `${this.prefix}outbox:check`;
  }

  /** Hash of effect kind → how many of its effects are owed. */
  get outboxOwed(): string {
    return `${this.prefix}outbox:owed`;
  }

  /** The pub/sub channel every record change is published on. */
  get changes(): string {
    return `${this.prefix}changes`;
  }

  /** A Keyv namespace: one hash of key → serialized value. */
  keyv(namespace: string): string {
    return `${this.prefix}kv:${namespace}`;
  }

  /** BullMQ's own prefix (it adds `:<queue>:…`). */
  get bull(): string {
    return `${this.prefix}bull`;
  }
}

/** BullMQ names: queue names and custom job ids may not hold `:`, and a job id may not look like an integer. */
export function queueName(kind: string): string {
  return `fx-${encodeURIComponent(kind)}`;
}

export function jobId(effectKey: string): string {
  return `fx-${encodeURIComponent(effectKey)}`;
}
