import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSmtp } from './fake-smtp.js';

let fake: FakeSmtp;
let transport: ReturnType<typeof nodemailer.createTransport>;

beforeEach(async () => {
  fake = await FakeSmtp.start();
  transport = nodemailer.createTransport({ url: fake.url, connectionTimeout: 2000 });
});

afterEach(async () => {
  transport.close();
  await fake.close();
});

const envelope = { from: 'sender@example.com', to: 'rcpt@example.com' };

describe('FakeSmtp', () => {
  it('listens on loopback and exposes an smtp:// URL', () => {
    expect(fake.url).toBe(`smtp://127.0.0.1:${fake.port}`);
    expect(fake.port).toBeGreaterThan(0);
  });

  it.each(['base64', 'quoted-printable'] as const)('decodes %s parts and an encoded subject', async (encoding) => {
    const text = 'Привет, мир — 你好 ✓\nsecond line';
    await transport.sendMail({
      ...envelope,
      subject: '承認が必要です: déploiement',
      text,
      html: `<p>${text}</p>`,
      textEncoding: encoding,
    });

    const mail = await fake.waitFor();
    expect(mail.raw).toContain(`Content-Transfer-Encoding: ${encoding}`);
    expect(mail).toMatchObject({
      from: 'sender@example.com',
      to: ['rcpt@example.com'],
      subject: '承認が必要です: déploiement',
      text,
      html: `<p>${text}</p>`,
    });
  });

  it('reads a single-part text message', async () => {
    await transport.sendMail({ ...envelope, subject: 'plain', text: 'just text' });
    expect(await fake.waitFor()).toMatchObject({ subject: 'plain', text: 'just text', html: '' });
  });

  it('waits for a message that matches, including one received earlier', async () => {
    await transport.sendMail({ ...envelope, subject: 'first', text: '1' });
    const second = fake.waitFor((mail) => mail.subject === 'second');
    await transport.sendMail({ ...envelope, subject: 'second', text: '2' });

    expect((await second).text).toBe('2');
    expect((await fake.waitFor((mail) => mail.subject === 'first')).text).toBe('1');
  });

  it('fails a wait with a clear message when nothing matching arrives', async () => {
    await expect(fake.waitFor(() => true, 30)).rejects.toThrow('FakeSmtp: no matching message within 30 ms');
  });

  it('rejects the next transactions at the chosen command, then accepts again', async () => {
    fake.rejectNext(1, 550, 'No such sender', 'MAIL');
    fake.rejectNext(1, 452, 'Too busy', 'DATA');

    await expect(transport.sendMail({ ...envelope, text: 'a' })).rejects.toMatchObject({ responseCode: 550 });
    await expect(transport.sendMail({ ...envelope, text: 'b' })).rejects.toMatchObject({ responseCode: 452 });
    await transport.sendMail({ ...envelope, text: 'c' });

    expect(fake.messages.map((mail) => mail.text)).toEqual(['c']);
  });

  it('refuses connections while stopped and serves the same port after a restart', async () => {
    const { port } = fake;
    await fake.stop();
    await expect(transport.sendMail({ ...envelope, text: 'down' })).rejects.toThrow(/ECONNREFUSED/);

    await fake.restart();
    await transport.sendMail({ ...envelope, text: 'up' });

    expect(fake.port).toBe(port);
    expect((await fake.waitFor()).text).toBe('up');
  });

  it('fails pending waits when closed', async () => {
    const waiting = fake.waitFor();
    await fake.close();
    await expect(waiting).rejects.toThrow('FakeSmtp closed');
  });
});
