import { type Logger, pino } from 'pino';
import { canonicalHash } from '../canonical-json.js';
import { type Clock, systemClock } from '../clock.js';
import { StoreError } from '../errors.js';
import type { RecordStore, Store, Versioned } from '../store/types.js';
import { type AuditPayload, EFFECT } from './effects.js';
import type { ApprovalRecord } from './types.js';

/** Namespaces (`store.records(…)`) of the audit entries and of the chain's head. */
export const AUDIT_NAMESPACE = 'audit';
export const AUDIT_HEAD_NAMESPACE = 'audit-head';

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** One link of the audit chain. `hash` covers every other field, `prevHash` included. */
export interface AuditEntry {
  seq: number;
  approvalId: string;
  type: string;
  at: string;
  actor: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** What `append` records: an approval event (its record is reduced to a content hash), or a bare fact. */
export interface AuditInput {
  type: string;
  approvalId: string;
  /** ISO time; the log's clock when missing. */
  at?: string;
  actor: string | null;
  data: Record<string, unknown>;
  record?: ApprovalRecord;
}

/** The outcome of `verify()`: every entry checked, or the first seq where the chain breaks and why. */
export type AuditVerification =
  | { ok: true; entries: number; head: string }
  | { ok: false; brokenAt: number; reason: string };

/** Options of an AuditLog; everything but `store` has a default. */
export interface AuditLogOptions {
  store: Store;
  clock?: Clock;
  logger?: Logger;
}

type StoredEntry = AuditEntry & Versioned & { effectKey?: string };
type Head = Versioned & { seq: number; hash: string };

const HEAD_ID = 'head';
/** Appenders racing for the next seq: each round one of them wins, so this bounds a pathological pile-up. */
const MAX_APPEND_ATTEMPTS = 500;

/** Hex SHA-256 of the canonical JSON of `value`. */
export const contentHash = canonicalHash;

/** The hash an entry must carry: over every field but `hash` (and the store's own `id`/`version`). */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { seq, approvalId, type, at, actor, data, prevHash } = entry;
  return contentHash({ seq, approvalId, type, at, actor, data, prevHash });
}

/**
 * What an entry keeps of an event: small facts only. The record itself is reduced to its content
 * hash, so the entry proves which state it saw without copying context around.
 */
export function summarize(input: AuditInput): Record<string, unknown> {
  const { record } = input;
  const recordHash = record ? { recordHash: contentHash(record) } : {};
  if (input.type === 'requested' && record) {
    const { title, requestedBy, taskId, approvers, expiresAt } = record;
    return { ...input.data, title, requestedBy, taskId, approvers, expiresAt, ...recordHash };
  }
  if (input.type === 'decided' && record?.decision) {
    const { via, feedback, modifications, granted, grantId } = record.decision;
    // Which grant approved it, or which grant this approval made: either is part of the trail.
    const grant = { ...(granted ? { granted } : {}), ...(grantId ? { grantId } : {}) };
    return { status: record.status, via, feedback, modifications, ...grant, ...recordHash };
  }
  return { ...input.data, ...recordHash };
}

const seqId = (seq: number) => String(seq).padStart(12, '0');

/** What the store holds, as the log's readers see it. */
function visible({ id: _id, version: _version, effectKey: _key, ...entry }: StoredEntry): AuditEntry {
  return entry;
}

/**
 * An append-only, hash-chained log of everything that happens to approvals. Each entry's hash
 * covers its content and the previous entry's hash, so an edited, removed or reordered entry
 * breaks the chain where `verify()` finds it. The head (`{ seq, hash }`) only moves by
 * compare-and-swap and an entry's seq is claimed by insert-if-absent, so appenders in any number
 * of processes sharing the store extend one chain and never fork it.
 */
export class AuditLog {
  private readonly store: Store;
  private readonly entries: RecordStore<StoredEntry>;
  private readonly heads: RecordStore<Head>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Appends of this process, in call order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor({ store, clock = systemClock, logger = pino({ level: 'silent' }) }: AuditLogOptions) {
    this.store = store;
    this.entries = store.records<StoredEntry>(AUDIT_NAMESPACE, {
      indexes: { approvalId: (r) => [r.approvalId], effectKey: (r) => [r.effectKey] },
      sortKey: (r) => r.id,
    });
    this.heads = store.records<Head>(AUDIT_HEAD_NAMESPACE);
    this.clock = clock;
    this.logger = logger;
  }

  /**
   * Appends the entries approval changes owe (their `audit` effects), one at a time so the chain
   * follows the order they were written in, and once each however often an effect runs.
   */
  attach(): void {
    this.store.effects.handle(
      EFFECT.audit,
      async (effect) => {
        const payload = effect.payload as unknown as AuditPayload;
        if ((await this.entries.count('effectKey', effect.key)) > 0) return;
        const appended = this.tail.then(() => this.write(payload, effect.key));
        this.tail = appended.catch(() => {});
        const entry = await appended;
        this.logger.debug({ approvalId: entry.approvalId, seq: entry.seq, type: entry.type }, 'audit entry appended');
      },
      { concurrency: 1 },
    );
  }

  /** Appends one entry after every earlier append of this process; resolves with the entry as stored. */
  append(input: AuditInput): Promise<AuditEntry> {
    const content = {
      approvalId: input.approvalId,
      type: input.type,
      at: input.at ?? new Date(this.clock.now()).toISOString(),
      actor: input.actor,
      // Hashed as it will read back from the store (no undefined, no Dates).
      data: JSON.parse(JSON.stringify(summarize(input))) as Record<string, unknown>,
    };
    const appended = this.tail.then(() => this.write(content));
    this.tail = appended.catch(() => {});
    return appended;
  }

  /** Resolves once every append started so far has finished (stop, tests). */
  async idle(): Promise<void> {
    await this.tail;
  }

  /** Every entry about one approval, oldest first. */
  async forApproval(approvalId: string): Promise<AuditEntry[]> {
    const found = await this.entries.findBy('approvalId', approvalId);
    return found.sort((a, b) => a.seq - b.seq).map(visible);
  }

  /**
   * Walks the whole chain from the first entry: each must sit at its own seq, hash to its stored
   * hash and link to the one before; the head must name the last. Finds edits, gaps, swaps and
   * replacements. (Cutting entries off the end and rewinding the head to match is what no chain
   * can see by itself: compare the head's hash with one kept elsewhere.)
   */
  async verify(): Promise<AuditVerification> {
    const head = await this.heads.get(HEAD_ID);
    let prevHash = GENESIS_HASH;
    let seq = 1;
    for (; ; seq++) {
      const entry = await this.entries.get(seqId(seq));
      if (!entry) break;
      if (entry.seq !== seq) return broken(seq, `entry ${seq} holds seq ${entry.seq}: entries were moved or swapped`);
      if (entryHash(entry) !== entry.hash) return broken(seq, `entry ${seq} does not match its hash: it was edited`);
      if (entry.prevHash !== prevHash) {
        return broken(seq, `entry ${seq} does not link to entry ${seq - 1}: one of them was replaced or reordered`);
      }
      if (head && head.seq === seq && head.hash !== entry.hash) {
        return broken(seq, `the head names another hash for entry ${seq}`);
      }
      prevHash = entry.hash;
    }
    const last = seq - 1;
    const headSeq = head?.seq ?? 0;
    if (!head && last > 0) return broken(last, 'the head record is missing');
    if (last < headSeq) return broken(last + 1, `entry ${last + 1} is missing (the head is at ${headSeq})`);
    // One entry past the head is an append whose head move is still under way (or was cut short by a crash).
    if (last > headSeq + 1) return broken(headSeq + 2, `entries run past the head (at ${headSeq})`);
    return { ok: true, entries: last, head: prevHash };
  }

  /** Claims seq = head + 1 with insert-if-absent, then moves the head onto it; retries when another appender won. */
  private async write(content: Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>, effectKey?: string): Promise<AuditEntry> {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const head = await this.readHead();
      const seq = head.seq + 1;
      const unsealed = { seq, ...content, prevHash: head.hash };
      const entry: AuditEntry = { ...unsealed, hash: entryHash(unsealed) };
      const { record: stored, created } = await this.entries.insert({
        id: seqId(seq),
        version: 1,
        ...entry,
        ...(effectKey ? { effectKey } : {}),
      });
      if (created) {
        // A failed swap means another appender already moved the head onto this entry for us.
        await this.advance(head, entry);
        return entry;
      }
      if (stored.prevHash !== head.hash) {
        throw new StoreError(`audit entry ${seq} does not follow the head: run verify() to find the break`);
      }
      // Its appender may have died before moving the head: move it for them, then try the next seq.
      await this.advance(head, stored);
    }
    throw new StoreError('audit: too many concurrent appends');
  }

  private async readHead(): Promise<Head> {
    const head = await this.heads.get(HEAD_ID);
    if (head) return head;
    return (await this.heads.insert({ id: HEAD_ID, version: 1, seq: 0, hash: GENESIS_HASH })).record;
  }

  private async advance(head: Head, entry: AuditEntry): Promise<void> {
    await this.heads.replace(
      { id: HEAD_ID, version: head.version + 1, seq: entry.seq, hash: entry.hash },
      head.version,
    );
  }
}

function broken(brokenAt: number, reason: string): AuditVerification {
  return { ok: false, brokenAt, reason };
}
