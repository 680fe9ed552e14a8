import type Keyv from 'keyv';

/** A record the store can compare-and-swap: an id and a version bumped by every write. */
export interface Versioned {
  id: string;
  version: number;
}

/**
 * A collection of versioned records with atomic writes. Every backend (SQLite now, Redis and
 * PostgreSQL later) passes the same contract suite (`test/store/contract.ts`).
 */
export interface RecordStore<T extends Versioned> {
  /** The record with this id, or undefined. */
  get(id: string): Promise<T | undefined>;
  /** Stores `record` unless one with its id exists; returns what is stored and whether this call created it. */
  insert(record: T): Promise<{ record: T; created: boolean }>;
  /** Replaces the stored record only if its version is still `expectedVersion`; false when someone else wrote first. */
  replace(record: T, expectedVersion: number): Promise<boolean>;
  /** Every record whose `field` equals `value` (e.g. all pending approvals at boot). */
  findBy(field: keyof T & string, value: string): Promise<T[]>;
}

/** The storage Gatehouse runs on: atomic record collections plus plain Keyv namespaces. */
export interface Store {
  /** A collection of versioned records under `namespace` (non-empty, no `:`; others throw StoreError). */
  records<T extends Versioned>(namespace: string): RecordStore<T>;
  /** A plain key-value namespace (history, caches, checkpoints); same naming rule as `records`. */
  keyv(namespace: string): Keyv;
  /** Cheap liveness check. */
  ping(): Promise<void>;
  /** Closes every connection. */
  close(): Promise<void>;
}
