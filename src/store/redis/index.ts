import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { StoreError } from '../../errors.js';
import { checkNamespace } from '../namespace.js';
import { rateLimits, WatchListeners } from '../shared.js';
import type { Effect, IndexSpec, RecordStore, Store, StoreOptions, Versioned, WatchListener } from '../types.js';
import { BullEffectQueue, type ReconcileOptions } from './effects.js';
import { parseRedisUrl, RedisKeys } from './keys.js';
import { RedisKeyvMap } from './keyv-map.js';
import { type RecordHost, RedisRecordStore } from './records.js';
import { defineScripts, type ScriptedRedis } from './scripts.js';

/** Options of the Redis store besides those every backend takes. */
export interface RedisStoreOptions extends StoreOptions {
  reconcile?: ReconcileOptions;
}

/**
 * The Redis store (`STORE_URL=redis://host:port[/db][?prefix=name]`): records and indexes written
 * by Lua scripts, change notification on one pub/sub channel, effects on BullMQ. Several instances
 * on one Redis (and prefix) form a cluster. Standalone Redis (or a Sentinel-managed primary): the
 * scripts touch index keys they read from the record, which Redis Cluster would refuse.
 */
export class RedisStore implements Store, RecordHost {
  readonly redis: ScriptedRedis;
  readonly keys: RedisKeys;
  readonly effects: BullEffectQueue;
  /** This instance's name; it skips its own change messages, which it already told its watchers. */
  readonly instance: string;
  private readonly subscriber: Redis;
  private readonly bull: Redis;
  private readonly collections = new Map<string, RecordStore<Versioned>>();
  private readonly keyvs = new Map<string, Keyv>();
  private readonly watchers: WatchListeners;
  private readonly onError: (error: unknown) => void;
  private closed = false;

  private constructor(url: string, prefix: string, options: RedisStoreOptions) {
    this.onError = options.onError ?? (() => {});
    this.watchers = new WatchListeners(this.onError);
    this.instance = options.instance ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.keys = new RedisKeys(prefix);
    // A request fails after a few reconnect attempts rather than hanging while Redis is away.
    this.redis = defineScripts(
      new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectionName: `gatehouse:${this.instance}` }),
    );
    // Subscribed connections auto-resubscribe after a reconnect (ioredis' autoResubscribe).
    this.subscriber = new Redis(url, { lazyConnect: true, connectionName: `gatehouse:${this.instance}:watch` });
    // BullMQ's workers wait on Redis indefinitely rather than failing a command after n retries.
    this.bull = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: `gatehouse:${this.instance}:jobs`,
    });
    for (const connection of [this.redis, this.subscriber, this.bull]) connection.on('error', this.onError);
    this.subscriber.on('message', (_channel: string, message: string) => this.heard(message));
    this.effects = new BullEffectQueue(this.redis, this.bull, this.keys, options);
  }

  /** Connects (failing fast when Redis does not answer) and subscribes to changes before resolving. */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const target = parseRedisUrl(url);
    const store = new RedisStore(target.url, target.prefix, options);
    try {
      await Promise.all([store.redis.connect(), store.subscriber.connect(), store.bull.connect()]);
      await store.subscriber.subscribe(store.keys.changes);
    } catch (error) {
      store.disconnect();
      throw new StoreError(`Redis ${redacted(target.url)}: ${(error as Error).message}`, { cause: error });
    }
    return store;
  }

  records<T extends Versioned>(namespace: string, spec?: IndexSpec<T>): RecordStore<T> {
    let collection = this.collections.get(checkNamespace(namespace));
    if (!collection) {
      collection = new RedisRecordStore<T>(this, namespace, spec) as unknown as RecordStore<Versioned>;
      this.collections.set(namespace, collection);
    }
    return collection as unknown as RecordStore<T>;
  }

  watch(namespace: string, listener: WatchListener): () => void {
    return this.watchers.add(checkNamespace(namespace), listener);
  }

  keyv(namespace: string): Keyv {
    let keyv = this.keyvs.get(checkNamespace(namespace));
    if (!keyv) {
      keyv = new Keyv({
        store: new RedisKeyvMap(this.redis, this.keys.keyv(namespace)),
        namespace,
        useKeyPrefix: false,
      });
      keyv.on('error', this.onError);
      this.keyvs.set(namespace, keyv);
    }
    return keyv;
  }

  /** One counter in Redis per key: every instance on this prefix shares it. */
  readonly rateLimit = rateLimits(
    (name, { points, durationMs }) =>
      new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.keys.prefix}rl:${name}`,
        points,
        duration: durationMs / 1000,
      }),
  );

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('Redis store is closed');
    try {
      await this.redis.ping();
    } catch (error) {
      throw new StoreError(`Redis: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.effects.stop();
    // QUIT lets replies in flight arrive; a connection that is not up is just dropped (QUIT would wait for it).
    await Promise.allSettled(
      [this.redis, this.subscriber, this.bull].map((connection) =>
        connection.status === 'ready' ? connection.quit() : connection.disconnect(),
      ),
    );
  }

  changeMessage(namespace: string, id: string): string {
    return JSON.stringify([this.instance, namespace, id]);
  }

  effectArgs(effects: Effect[]): Array<string | number> {
    return this.effects.effectArgs(effects);
  }

  async committed(namespace: string, id: string, effects: Effect[], recorded: string[]): Promise<void> {
    if (this.watchers.has(namespace)) queueMicrotask(() => this.watchers.notify(namespace, id));
    await this.effects.addJobs(effects, recorded);
  }

  async specChanged(namespace: string, signature: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.specs, namespace)) !== signature;
  }

  async specWritten(namespace: string, signature: string): Promise<void> {
    await this.redis.hset(this.keys.specs, namespace, signature);
  }

  private heard(message: string): void {
    try {
      const [instance, namespace, id] = JSON.parse(message) as [string, string, string];
      if (instance !== this.instance) this.watchers.notify(namespace, id);
    } catch (error) {
      this.onError(error);
    }
  }

  private disconnect(): void {
    for (const connection of [this.redis, this.subscriber, this.bull]) connection.disconnect();
  }
}

/** The URL with its password hidden, for error messages. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** The opener `createStore` calls for `redis://` URLs. */
export function open(url: string, options: StoreOptions = {}): Promise<Store> {
  return RedisStore.open(url, options);
}
