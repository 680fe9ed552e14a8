import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadOperations } from './load-client.js';

type Result<K extends keyof LoadOperations> = Awaited<ReturnType<LoadOperations[K]>>;

/**
 * The load generator in a child process: each call runs there and resolves with its figures, so
 * the client's work and heap never mix with the server's being measured here.
 */
export class LoadClient {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor() {
    this.child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
    });
    this.child.on('message', (message: { seq: number; result?: unknown; error?: string }) => {
      const call = this.waiting.get(message.seq);
      this.waiting.delete(message.seq);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.result);
    });
    this.child.on('exit', (code) => {
      for (const call of this.waiting.values()) call.reject(new Error(`load client exited with ${code}`));
    });
  }

  call<K extends keyof LoadOperations>(op: K, ...args: Parameters<LoadOperations[K]>): Promise<Result<K>> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ seq, op, args });
    });
  }

  close(): void {
    this.child.kill();
  }
}
