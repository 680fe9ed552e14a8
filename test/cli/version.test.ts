import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './support.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('gatehouse --version', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the package version and exits 0', async (flag) => {
    expect(await cli([flag])).toEqual({ code: 0, stdout: `gatehouse ${version}\n`, stderr: '' });
  });
});
