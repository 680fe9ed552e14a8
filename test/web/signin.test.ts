import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { ManualClock } from '../support/manual-clock.js';

/** A browser's cookies, as far as these tests need them. */
class Browser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.keep(
      await fetch(this.url(path), { redirect: 'manual', headers: { cookie: this.header(), ...headers } }),
    );
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    return this.keep(
      await fetch(this.url(path), {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }),
    );
  }

  /** The CSRF token a page's forms carry. */
  static csrf(page: string): string {
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(token).toBeTruthy();
    return token!;
  }

  private url(path: string) {
    return path.startsWith('http') ? path : `${this.base}${path}`;
  }

  private header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(res: Response): Response {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a))) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return res;
  }
}

describe('the local operator (no GATEHOUSE_API_TOKEN, opened from this machine)', () => {
  let g: TestGatehouse;
  beforeAll(async () => {
    g = await startGatehouse({ slack: false, env: { GATEHOUSE_API_TOKEN: '' } });
  });
  afterAll(async () => {
    await g.stop();
  });

  it('sees the inbox without sign-in, is told so, and approves a request made with curl', async () => {
    const created = await fetch(`${g.url}/api/v1/approvals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'curl-1', title: 'Deploy v2 to prod' }),
    });
    expect(created.status).toBe(201);
    const browser = new Browser(g.url);
    const inbox = await browser.get('/');
    expect(inbox.status).toBe(200);
    expect(inbox.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await inbox.text();
    expect(page).toContain('Local operator');
    expect(page).toContain('Deploy v2 to prod');

    expect((await browser.post('/approvals/curl-1/decide', { decision: 'approve' })).status).toBe(403);
    const decided = await browser.post('/approvals/curl-1/decide', { decision: 'approve', _csrf: Browser.csrf(page) });
    expect(decided.status).toBe(303);
    expect(decided.headers.get('location')).toBe('/approvals/curl-1');
    expect((await g.gatehouse.gate.get('curl-1')).decision).toMatchObject({ decidedBy: 'local-operator', via: 'web' });
    const after = await (await browser.get('/approvals/curl-1')).text();
    expect(after).toContain('The audit chain verifies');
  });

  it('asks a request relayed by a proxy to sign in', async () => {
    const res = await new Browser(g.url).get('/', { 'x-forwarded-for': '203.0.113.9' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin');
  });
});

describe('Sign in with Slack (OpenID Connect against the fake Slack)', () => {
  let g: TestGatehouse;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    g = await startGatehouse({
      clock,
      env: { SLACK_CLIENT_ID: '1234567890.987654321', SLACK_CLIENT_SECRET: 'oidc-client-secret-0123456789' },
    });
  });
  afterAll(async () => {
    await g.stop();
  });

  const signIn = async (browser: Browser) => {
    const start = await browser.get('/signin/slack');
    expect(start.status).toBe(302);
    const consent = new URL(start.headers.get('location')!);
    expect(consent.pathname).toBe('/openid/connect/authorize');
    expect(consent.searchParams.get('client_id')).toBe('1234567890.987654321');
    expect(consent.searchParams.get('scope')).toBe('openid email profile');
    const back = await fetch(consent, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const callback = new URL(back.headers.get('location')!);
    return browser.get(`${callback.pathname}${callback.search}`);
  };

  it('signs in through openid.connect.token and userInfo, into a signed HttpOnly cookie with an expiry', async () => {
    const browser = new Browser(g.url);
    expect((await browser.get('/')).headers.get('location')).toBe('/signin');
    expect(await (await browser.get('/signin')).text()).toContain('Sign in with Slack');
    const done = await signIn(browser);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/');
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('gatehouse_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Expires=/);
    const token = g.slack!.callsTo('openid.connect.token')[0];
    expect(token?.body).toMatchObject({
      client_id: '1234567890.987654321',
      client_secret: 'oidc-client-secret-0123456789',
    });
    expect(g.slack!.callsTo('openid.connect.userInfo')).toHaveLength(1);
    const inbox = await browser.get('/');
    expect(inbox.status).toBe(200);
    expect(await inbox.text()).toContain('Signed in as <strong>U0ALICE (Slack)</strong> (U0ALICE)');

    // An edited cookie is not a session; nor is one past its expiry.
    const forged = new Browser(g.url);
    forged.cookies.set('gatehouse_session', browser.cookies.get('gatehouse_session')!.replace('U0ALICE', 'U0BOB'));
    expect((await forged.get('/')).headers.get('location')).toBe('/signin');
    await clock.advance(13 * 3600_000);
    expect((await browser.get('/')).headers.get('location')).toBe('/signin');
  });

  it('refuses an answer whose state is not this browser’s', async () => {
    const browser = new Browser(g.url);
    const start = await browser.get('/signin/slack');
    const other = new Browser(g.url);
    const back = await fetch(new URL(start.headers.get('location')!), { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    const res = await other.get(`${callback.pathname}${callback.search}`);
    expect(res.status).toBe(400);
    expect(other.cookies.has('gatehouse_session')).toBe(false);
  });
});

describe('sign-in links by e-mail without Slack (APPROVER_EMAILS)', () => {
  let g: TestGatehouse;
  let smtp: FakeSmtp;
  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    g = await startGatehouse({
      slack: false,
      env: { SMTP_URL: smtp.url, EMAIL_FROM: 'gatehouse@example.com', APPROVER_EMAILS: 'Alice@Example.com=U0ALICE' },
    });
  });
  afterAll(async () => {
    await g.stop();
    await smtp.close();
  });

  it('mails a link that signs in once, and answers an unknown address the same way without mailing it', async () => {
    const browser = new Browser(g.url);
    const form = await (await browser.get('/signin')).text();
    const unknown = await browser.post('/signin/email', { email: 'mallory@example.com', _csrf: Browser.csrf(form) });
    const asked = await browser.post('/signin/email', { email: 'alice@example.com', _csrf: Browser.csrf(form) });
    expect(await unknown.text()).toContain('If mallory@example.com belongs to an approver');
    expect(await asked.text()).toContain('If alice@example.com belongs to an approver');
    const mail = await smtp.waitFor((m) => m.to.includes('alice@example.com'));
    const link = new URL(/http:\/\/\S+\/signin\/link\/\S+/.exec(mail.text)![0]);
    await eventually(
      async () => smtp.messages.length,
      (n) => n === 1,
    );

    const confirm = await browser.get(link.pathname);
    expect(await confirm.clone().text()).toContain('Sign in as <strong>alice@example.com</strong>');
    const csrf = Browser.csrf(await confirm.text());
    const used = await browser.post(link.pathname, { _csrf: csrf });
    expect(used.status).toBe(303);
    expect(await (await browser.get('/')).text()).toContain('Signed in as');

    // The gate's self-approval rule holds on the web: the requester sees Reject only, and a forged approve is refused.
    await g.gatehouse.gate.submit({
      id: 'own-1',
      title: 'My own deploy',
      requestedBy: 'U0ALICE',
      allowSelfApproval: false,
    });
    const inbox = await (await browser.get('/')).text();
    const own = inbox.slice(inbox.indexOf('data-approval="own-1"'));
    expect(own).toContain('You asked for this, so you may not approve it.');
    expect(own.slice(0, own.indexOf('</article>'))).not.toContain('value="approve"');
    const forgedApprove = await browser.post('/approvals/own-1/decide', {
      decision: 'approve',
      _csrf: Browser.csrf(inbox),
    });
    expect(forgedApprove.status).toBe(403);
    expect(await forgedApprove.text()).toContain('may not approve');
    expect((await g.gatehouse.gate.get('own-1')).status).toBe('pending');

    const again = new Browser(g.url);
    const page = await (await again.get(link.pathname)).text();
    expect((await again.post(link.pathname, { _csrf: Browser.csrf(page) })).status).toBe(409);
    const tampered = `${link.pathname.slice(0, -3)}abc`;
    expect((await again.get(tampered)).status).toBe(403);
  });
});
