import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** One boot of `args` (run by node from the repository): ms to the "listening" line and to the first /healthz 200. */
async function bootOnce(args: string[]): Promise<{ listening: number; ready: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-boot-'));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      STORE_URL: `sqlite://${join(dir, 'boot.sqlite')}`,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { port, listening } = await new Promise<{ port: number; listening: number }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const match = /Gatehouse listening on [^"]*:(\d+)/.exec(out);
        if (match) resolve({ port: Number(match[1]), listening: performance.now() - started });
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
    });
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) return { listening, ready: performance.now() - started };
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Boot to ready of `npm start` (compiled dist/main.js) and of the TypeScript sources through tsx, alternating. */
export async function measureBoot(runs: number) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.js')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('could not build dist/');
  const compiled: Array<{ listening: number; ready: number }> = [];
  const tsx: Array<{ listening: number; ready: number }> = [];
  for (let i = 0; i < runs; i++) {
    compiled.push(await bootOnce(['dist/main.js']));
    tsx.push(await bootOnce(['--import', 'tsx', 'src/main.ts']));
  }
  const median = (list: Array<{ listening: number; ready: number }>, key: 'listening' | 'ready') => {
    const sorted = list.map((b) => b[key]).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  return {
    compiled: { listening: median(compiled, 'listening'), ready: median(compiled, 'ready') },
    tsx: { listening: median(tsx, 'listening'), ready: median(tsx, 'ready') },
    nodeAlone: nodeStartup(runs),
  };
}

/** Median ms for `node -e 0`: the floor under any boot on this machine. */
function nodeStartup(runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)] ?? Number.NaN;
}
