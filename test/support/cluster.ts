import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_TOKEN, SIGNING_SECRET } from './gatehouse.js';
import { interactiveBody, postSlack } from './slack-requests.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;

/** One real Gatehouse process of a cluster. */
export interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  /** Its log lines (JSON), as printed so far. */
  log: string[];
  /** Calls the API with the bearer token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Sends a signed payload to its /slack/events. */
  slackPost(payload: unknown): Promise<Response>;
  /** `kill -9`: no cleanup at all. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `node src/main.ts` with `env` (in a scratch directory, so no `.env` is read) and resolves
 * once it logged that it listens.
 */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        const listening = /Gatehouse listening on ([\d.]+):(\d+)/.exec(line);
        if (listening) resolve(`http://${listening[1]}:${listening[2]}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    url,
    child,
    log,
    api(path, init = {}) {
      const { json, ...rest } = init;
      return fetch(`${url}${path}`, {
        ...rest,
        method: rest.method ?? (json === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
    },
    slackPost: (payload) => postSlack(url, interactiveBody(payload), { signingSecret: SIGNING_SECRET }),
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The environment every instance of a test cluster shares. */
export function clusterEnv(
  storeUrl: string,
  slackUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    STORE_URL: storeUrl,
    GATEHOUSE_API_TOKEN: API_TOKEN,
    APPROVERS: 'U0ALICE,U0BOB',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slackUrl,
    SLACK_APPROVALS_CHANNEL: 'C0APPROVALS',
    SLACK_ALERTS_CHANNEL: 'C0ALERTS',
    // A killed instance's claims pass to the others within the test.
    EFFECT_LEASE_SECONDS: '2',
    ...extra,
  };
}
