import { run } from './run.js';

/** The `gatehouse` process: the only CLI file that touches `process`. */
const stop = new AbortController();
// Once: a second Ctrl-C ends the process at once, whatever is still running.
process.once('SIGINT', () => stop.abort('SIGINT'));
process.once('SIGTERM', () => stop.abort('SIGTERM'));

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  signal: stop.signal,
  cwd: process.cwd(),
});
