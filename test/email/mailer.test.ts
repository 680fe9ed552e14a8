import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer, type MailerOptions, type MailMessage } from '../../src/email/mailer.js';
import { ValidationError } from '../../src/errors.js';
import { FakeSmtp } from '../support/fake-smtp.js';

const message: MailMessage = {
  to: ['approver@example.com', 'team@example.com'],
  subject: 'Approval needed: déployer en production 🚀',
  text: 'Agent deploy-bot asks to run a migration.\nOpen the link to decide.',
  html: '<p>Agent <b>deploy-bot</b> asks to run a migration.</p>',
};

// Tiny delays so retries happen at once; timeouts stay generous for slow machines.
const fast = { minTimeoutMs: 5, maxTimeoutMs: 20 } satisfies Partial<MailerOptions>;

let fake: FakeSmtp;
const mailers: Mailer[] = [];

function mailer(options: Partial<MailerOptions> = {}): Mailer {
  const created = new Mailer({ smtpUrl: fake.url, from: 'Gatehouse <gatehouse@example.com>', ...fast, ...options });
  mailers.push(created);
  return created;
}

beforeEach(async () => {
  fake = await FakeSmtp.start();
});

afterEach(async () => {
  for (const created of mailers.splice(0)) created.close();
  await fake.close();
});

describe('Mailer.send', () => {
  it('delivers the subject, both parts and every recipient', async () => {
    const result = await mailer().send(message);

    expect(result).toMatchObject({ ok: true, attempts: [{ ok: true }] });
    expect(result.messageId).toMatch(/^<.+@example\.com>$/);
    const mail = await fake.waitFor();
    expect(mail.from).toBe('gatehouse@example.com');
    expect(mail.to).toEqual(message.to);
    expect(mail.subject).toBe(message.subject);
    expect(mail.text).toBe(message.text);
    expect(mail.html).toBe(message.html);
  });

  it('stamps each attempt with the injected clock', async () => {
    const result = await mailer({ now: () => new Date('2030-01-02T03:04:05.000Z') }).send(message);
    expect(result.attempts).toEqual([{ at: '2030-01-02T03:04:05.000Z', ok: true }]);
  });

  it.each(['RCPT', 'DATA'] as const)('retries a 451 at %s and delivers on the third attempt', async (stage) => {
    fake.rejectNext(2, 451, 'Greylisted, try again later', stage);

    const result = await mailer().send(message);

    expect(result.ok).toBe(true);
    expect(result.attempts.map((attempt) => attempt.ok)).toEqual([false, false, true]);
    expect(result.attempts[0]?.error).toContain('451 Greylisted, try again later');
    expect(fake.messages).toHaveLength(1);
  });

  it('does not retry a 550 and reports the server message', async () => {
    fake.rejectNext(1, 550, 'Mailbox unavailable');

    const result = await mailer().send(message);

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(1);
    expect(result.error).toContain('550 Mailbox unavailable');
    expect(result.attempts[0]?.error).toContain('550 Mailbox unavailable');
    expect(fake.messages).toHaveLength(0);
  });

  it('gives up after retries + 1 attempts when the server is down, recording each connection error', async () => {
    await fake.stop();

    const result = await mailer({ retries: 3 }).send(message);

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(4);
    for (const attempt of result.attempts) {
      expect(attempt.ok).toBe(false);
      expect(attempt.error).toMatch(/ECONNREFUSED/);
    }
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('delivers once the server comes back during the retries', async () => {
    await fake.stop();
    let restarting: Promise<void> | undefined;

    const result = await mailer({ retries: 10, minTimeoutMs: 20, maxTimeoutMs: 50 }).send(message, {
      onAttempt: (attempt) => {
        if (!attempt.ok) restarting ??= fake.restart();
      },
    });

    await restarting;
    expect(result.ok).toBe(true);
    expect(result.attempts[0]?.ok).toBe(false);
    expect(result.attempts.at(-1)?.ok).toBe(true);
    expect((await fake.waitFor()).subject).toBe(message.subject);
  });

  it('retries a server that accepts the connection but never greets, bounded by sendTimeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const result = await mailer({ smtpUrl: `smtp://127.0.0.1:${port}`, sendTimeoutMs: 100, retries: 1 }).send(
        message,
      );

      expect(result.ok).toBe(false);
      expect(result.attempts).toHaveLength(2);
      expect(result.error).toMatch(/^ETIMEDOUT: /);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops retrying when the signal aborts', async () => {
    await fake.stop();
    const controller = new AbortController();

    const result = await mailer({ retries: 10, minTimeoutMs: 50 }).send(message, {
      signal: controller.signal,
      onAttempt: () => controller.abort(),
    });

    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(1);
    expect(result.error).toMatch(/abort/i);
  });

  it('makes no attempt with a signal that is already aborted', async () => {
    const result = await mailer().send(message, { signal: AbortSignal.abort() });

    expect(result).toMatchObject({ ok: false, attempts: [] });
    expect(fake.messages).toHaveLength(0);
  });

  it('rejects with the error of an onAttempt hook that throws, without retrying', async () => {
    await fake.stop();
    const hookFailure = new Error('logger is down');
    let calls = 0;

    const send = mailer({ retries: 5 }).send(message, {
      onAttempt: () => {
        calls++;
        throw hookFailure;
      },
    });

    await expect(send).rejects.toBe(hookFailure);
    expect(calls).toBe(1);
  });

  it('never puts the SMTP password into an error', async () => {
    const smtpUrl = `smtp://mailer:Sup3r-s3cret@127.0.0.1:${fake.port}`;
    fake.rejectNext(1, 550, `Rejected ${smtpUrl}`);

    const result = await mailer({ smtpUrl }).send(message);

    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('Sup3r-s3cret');
    expect(result.error).toContain('smtp://mailer:***@127.0.0.1');
  });

  it('rejects a malformed recipient with a ValidationError naming it', async () => {
    const send = mailer().send({ ...message, to: ['ok@example.com', 'not-an-address'] });

    await expect(send).rejects.toThrow(ValidationError);
    await expect(send).rejects.toMatchObject({
      issues: [{ field: 'to[1]', message: expect.stringContaining('"not-an-address"') }],
    });
  });

  it('rejects a message without recipients', async () => {
    await expect(mailer().send({ ...message, to: [] })).rejects.toMatchObject({ issues: [{ field: 'to' }] });
  });
});

describe('new Mailer', () => {
  it('rejects a malformed sender, naming the field', () => {
    expect(() => mailer({ from: 'Gatehouse <nobody>' })).toThrow(/^from: Expected an e-mail address/);
  });

  it('names every bad option at once', () => {
    expect(() => mailer({ retries: -1, sendTimeoutMs: 0, smtpUrl: 'https://mail.example.com' })).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.objectContaining({ field: 'retries' }),
          expect.objectContaining({ field: 'sendTimeoutMs' }),
          expect.objectContaining({ field: 'smtpUrl', message: 'Expected an smtp:// or smtps:// URL' }),
        ]),
      }),
    );
  });

  it('needs an SMTP URL or a transport', () => {
    expect(() => new Mailer({ from: 'gatehouse@example.com' })).toThrow(/smtpUrl: Expected `smtpUrl` or `transport`/);
  });
});
