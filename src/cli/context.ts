import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { GatehouseClient } from '../client/index.js';
import { GatehouseError } from '../errors.js';
import { cliClient, describeClientError, readEnv } from './client.js';
import { CliError } from './errors.js';

/** Somewhere to write text: process.stdout, or a buffer in tests. */
export interface Output {
  write(text: string): unknown;
}

/** Everything the command touches outside itself; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Output;
  stderr: Output;
  fetch?: typeof globalThis.fetch;
  readFile?: (path: string) => Promise<string>;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Aborted on SIGINT/SIGTERM: requests under way stop, `serve` shuts down. */
  signal?: AbortSignal;
  /** Where `serve` looks for `.env`. */
  cwd?: string;
  /** What `hook` reads its input from (process.stdin); none by default. */
  stdin?: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;
}

/** What a command gets: its I/O with defaults filled in, and helpers to talk and answer. */
export interface Context {
  io: Required<Omit<CliIo, 'signal'>> & { signal: AbortSignal | undefined };
  /** All of stdin, as text. */
  readStdin(): Promise<string>;
  /**
   * A client for `--url`, else `GATEHOUSE_URL`, else the default, with `GATEHOUSE_API_TOKEN`; its
   * waits say on stderr when they try an unreachable server again.
   */
  client(url: string | undefined): GatehouseClient;
  /** An error of the client in plain words. */
  describe(error: Error): string;
  /** One line for a person, on stderr. */
  say(line: string): void;
  /** JSON for a program, on stdout. */
  print(value: unknown): void;
  /** A file's text, or a CliError naming the flag it came from. */
  read(flag: string, path: string): Promise<string>;
}

/** Fills in the defaults: global fetch, the file system, real timers. */
export function createContext(io: CliIo): Context {
  const full: Context['io'] = {
    fetch: globalThis.fetch,
    readFile: (path) => readFile(path, 'utf8'),
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
    now: Date.now,
    cwd: '.',
    stdin: [],
    ...io,
    signal: io.signal,
  };
  const say = (line: string) => full.stderr.write(`${line}\n`);
  const describe = (error: Error) =>
    error instanceof GatehouseError
      ? describeClientError(error, readEnv(full.env, 'GATEHOUSE_API_TOKEN') !== undefined)
      : error.message;
  return {
    io: full,
    client: (url) =>
      cliClient(url, {
        env: full.env,
        fetch: full.fetch,
        signal: full.signal,
        sleep: full.sleep,
        now: full.now,
        onRetry: (error, delayMs) => say(`${describe(error)}; trying again in ${delayMs / 1000} s`),
      }),
    describe,
    say,
    async readStdin() {
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of full.stdin)
        text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      return text + decoder.decode();
    },
    print: (value) => full.stdout.write(`${JSON.stringify(value)}\n`),
    async read(flag, path) {
      try {
        return await full.readFile(path);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
        throw new CliError(`--${flag}: cannot read ${path}: ${reason}`);
      }
    },
  };
}
