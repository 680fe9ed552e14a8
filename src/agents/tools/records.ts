import { ConflictError } from '../../errors.js';
import type { RecordStore, Store } from '../../store/types.js';
import type { ToolLoopRecord, ToolRunRecord } from './types.js';

/** The record namespace tool executions are kept in. */
export const TOOL_RUNS_NAMESPACE = 'tool-runs';
/** The record namespace tool-loop transcripts are kept in. */
export const TOOL_LOOPS_NAMESPACE = 'tool-loops';

/**
 * Writes `change(current)` over `current` if nobody wrote since it was read. A lost race means
 * another run of the task took it over, so this one must stop rather than overwrite it.
 */
async function update<T extends ToolRunRecord | ToolLoopRecord>(
  records: RecordStore<T>,
  current: T,
  change: (record: T) => T,
): Promise<T> {
  const next = { ...change(current), version: current.version + 1 };
  if (!(await records.replace(next, current.version))) {
    throw new ConflictError(`${current.id} was changed by another run of task ${current.taskId}`);
  }
  return next;
}

/** Every execution of a tool, by task, stage and `tool_use` id: what makes a tool run at most once. */
export class ToolRuns {
  private readonly records: RecordStore<ToolRunRecord>;

  constructor(store: Store) {
    this.records = store.records<ToolRunRecord>(TOOL_RUNS_NAMESPACE);
  }

  get(id: string): Promise<ToolRunRecord | undefined> {
    return this.records.get(id);
  }

  /**
   * Marks a run as started before the tool is called: written first, so a crash while it runs
   * leaves a trace. Returns the stored record, or a ConflictError when another run holds it.
   */
  async start(run: Omit<ToolRunRecord, 'version' | 'status' | 'result' | 'outcome' | 'starts' | 'finishedAt'>) {
    const current = await this.records.get(run.id);
    if (current) return update(this.records, current, (r) => ({ ...r, input: run.input, starts: r.starts + 1 }));
    const { record, created } = await this.records.insert({
      ...run,
      version: 1,
      status: 'running',
      result: null,
      outcome: null,
      starts: 1,
      finishedAt: null,
    });
    if (!created) throw new ConflictError(`tool call ${run.id} was started by another run`);
    return record;
  }

  /** Stores what the run returned; only then does the result go to Claude. */
  finish(
    current: ToolRunRecord,
    done: Pick<ToolRunRecord, 'result' | 'outcome' | 'finishedAt'> & { input?: ToolRunRecord['input'] },
  ): Promise<ToolRunRecord> {
    return update(this.records, current, (r) => ({ ...r, ...done, status: 'done' }));
  }
}

/** Tool-loop transcripts, saved after each turn so a resumed stage carries on where it stopped. */
export class ToolLoops {
  private readonly records: RecordStore<ToolLoopRecord>;

  constructor(store: Store) {
    this.records = store.records<ToolLoopRecord>(TOOL_LOOPS_NAMESPACE);
  }

  /** The stored transcript of `record.id`, or `record` newly stored. */
  async open(record: Omit<ToolLoopRecord, 'version'>): Promise<ToolLoopRecord> {
    return (await this.records.insert({ ...record, version: 1 })).record;
  }

  save(current: ToolLoopRecord, change: (record: ToolLoopRecord) => ToolLoopRecord): Promise<ToolLoopRecord> {
    return update(this.records, current, change);
  }
}
