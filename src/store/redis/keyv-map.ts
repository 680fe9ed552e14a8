import type { Redis } from 'ioredis';

/**
 * A Map-like Keyv store on the Redis store's own connection (Keyv accepts any store with async
 * get/set/delete/clear): one hash per namespace, so `clear` is one DEL and never touches another
 * namespace. Values are Keyv's serialized strings; Keyv itself drops expired ones on read.
 */
export class RedisKeyvMap {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key, key)) ?? undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await this.redis.hset(this.key, key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, key)) > 0;
  }

  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
