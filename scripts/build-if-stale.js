#!/usr/bin/env node
// Before `npm start`: compiles src/ to dist/ when dist/main.js is missing or older than a source
// file or the compiler settings, so a checkout that was edited (or never built) starts current code.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = mtime(join(root, 'dist', 'main.js'));

/** Newest modification time under `dir` (files only), in ms. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, mtime(join(entry.parentPath ?? entry.path, entry.name)));
  }
  return latest;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

const sources = Math.max(
  newest(join(root, 'src')),
  mtime(join(root, 'tsconfig.json')),
  mtime(join(root, 'tsconfig.build.json')),
);
if (built === 0 || sources > built) {
  process.stderr.write(built === 0 ? 'dist/ is missing: building\n' : 'src/ changed since the last build: building\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  process.exit(build.status ?? 1);
}
