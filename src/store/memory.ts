import Keyv from 'keyv';
import { checkNamespace } from './namespace.js';
import type { RecordStore, Store, Versioned } from './types.js';

/** A record collection in a Map: atomic because every operation completes synchronously. */
export class MemoryRecordStore<T extends Versioned> implements RecordStore<T> {
  private readonly rows = new Map<string, string>();

  async get(id: string): Promise<T | undefined> {
    const row = this.rows.get(id);
    return row === undefined ? undefined : (JSON.parse(row) as T);
  }

  async insert(record: T): Promise<{ record: T; created: boolean }> {
    const existing = this.rows.get(record.id);
    if (existing !== undefined) return { record: JSON.parse(existing) as T, created: false };
    this.rows.set(record.id, JSON.stringify(record));
    return { record, created: true };
  }

  async replace(record: T, expectedVersion: number): Promise<boolean> {
    const existing = this.rows.get(record.id);
    if (existing === undefined || (JSON.parse(existing) as T).version !== expectedVersion) return false;
    this.rows.set(record.id, JSON.stringify(record));
    return true;
  }

  async findBy(field: keyof T & string, value: string): Promise<T[]> {
    const found: T[] = [];
    for (const row of this.rows.values()) {
      const record = JSON.parse(row) as T;
      if (record[field] === value) found.push(record);
    }
    return found;
  }
}

/** Everything in memory: for tests and benchmarks; nothing survives the process. */
export class MemoryStore implements Store {
  private readonly collections = new Map<string, MemoryRecordStore<Versioned>>();
  private readonly namespaces = new Map<string, Keyv>();

  records<T extends Versioned>(namespace: string): RecordStore<T> {
    checkNamespace(namespace);
    let collection = this.collections.get(namespace);
    if (!collection) {
      collection = new MemoryRecordStore<Versioned>();
      this.collections.set(namespace, collection);
    }
    return collection as unknown as RecordStore<T>;
  }

  keyv(namespace: string): Keyv {
    checkNamespace(namespace);
    let keyv = this.namespaces.get(namespace);
    if (!keyv) {
      keyv = new Keyv({ namespace });
      this.namespaces.set(namespace, keyv);
    }
    return keyv;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.namespaces.clear();
  }
}
