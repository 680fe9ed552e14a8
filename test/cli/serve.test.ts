import { describe, expect, it } from 'vitest';
import { cli } from './support.js';

const base = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', STORE_URL: 'memory://' };

describe('gatehouse serve', () => {
  it('reports every bad variable at once and exits 3', async () => {
    const { code, stderr } = await cli(['serve'], {
      env: { ...base, PORT: 'eighty', GATEHOUSE_API_TOKEN: 'short' },
      readFile: async () => {
        throw new Error('ENOENT');
      },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('gatehouse: Invalid configuration:');
    expect(stderr).toContain('  - PORT:');
    expect(stderr).toContain('  - GATEHOUSE_API_TOKEN: must be at least 16 characters');
    expect(stderr).toContain('See .env.example');
  });

  it('reads .env under the environment, serves, and stops cleanly when signalled', async () => {
    const stop = new AbortController();
    const read: string[] = [];
    const running = cli(['serve'], {
      env: { ...base, GATEHOUSE_API_TOKEN: 'from-the-environment-0123' },
      cwd: '/srv/gatehouse',
      readFile: async (path) => {
        read.push(path);
        return 'GATEHOUSE_API_TOKEN=short\nAPPROVERS=U0FROMFILE\n';
      },
      signal: stop.signal,
    });
    stop.abort('SIGTERM');
    expect(await running).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(read).toEqual(['/srv/gatehouse/.env']);
  });
});
