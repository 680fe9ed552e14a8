import { readFile } from 'node:fs/promises';

/** The version in the package's own package.json (the one installed, not the caller's project). */
export async function version(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
