import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGatehouse } from '../src/gatehouse.js';
import { createLogger } from '../src/logger.js';
import { FakeSmtp } from './support/fake-smtp.js';

/** Starts a Gatehouse on a port of its choosing, logging into `lines`; returns it and its log. */
async function start(env: Record<string, string>) {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', STORE_URL: 'memory://', APPROVERS: 'U0ALICE', ...env });
  const gatehouse = await createGatehouse(config, { logger: createLogger('info', sink) });
  const url = await gatehouse.start();
  return { gatehouse, url, lines };
}

describe('at start', () => {
  it('warns when agents that call Claude are registered but ANTHROPIC_API_KEY is missing', async () => {
    const without = await start({});
    const warning = without.lines.find((l) => l.level === 40 && l.msg.includes('ANTHROPIC_API_KEY'));
    expect(warning?.msg).toMatch(/campaign-launch, content-pipeline/);
    await without.gatehouse.stop();
    const withKey = await start({ ANTHROPIC_API_KEY: 'sk-ant-test-key' });
    expect(withKey.lines.some((l) => l.msg.includes('ANTHROPIC_API_KEY'))).toBe(false);
    await withKey.gatehouse.stop();
  });

  it('without PUBLIC_URL, links point at the port the server really listens on', async () => {
    const smtp = await FakeSmtp.start();
    const { gatehouse, url } = await start({
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'gatehouse@example.com',
      APPROVAL_EMAIL_TO: 'approvers@example.com',
    });
    try {
      const port = new URL(url).port;
      expect(port).not.toBe('0');
      await gatehouse.gate.submit({ id: 'port-1', title: 'Which port?' });
      const mail = await smtp.waitFor((m) => m.subject.includes('Which port?'));
      expect(mail.text).toContain(`http://localhost:${port}/decisions/`);
      expect(mail.text).not.toContain('localhost:0');
    } finally {
      await gatehouse.stop();
      await smtp.close();
    }
  });
});
