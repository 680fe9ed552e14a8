import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/blocks/ids.js';
import {
  cspViolations,
  hasChromium,
  launchBrowser,
  SKIP_NOTE,
  screenshot,
  seriousViolations,
} from '../support/browser.js';
import { eventually } from '../support/eventually.js';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeSmtp } from '../support/fake-smtp.js';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload } from '../support/slack-requests.js';

if (!hasChromium && (process.env.CI || process.env.REQUIRE_SERVICES === '1')) {
  throw new Error(`${SKIP_NOTE}; CI and REQUIRE_SERVICES=1 require them`);
}
if (!hasChromium) console.warn(SKIP_NOTE);

const REPLICAS_SCHEMA = {
  type: 'object',
  properties: { replicas: { type: 'integer', minimum: 1, maximum: 10, title: 'Replicas' } },
  required: ['replicas'],
};

describe.skipIf(!hasChromium)('web inbox in Chromium', () => {
  let g: TestGatehouse;
  let smtp: FakeSmtp;
  let anthropic: FakeAnthropic;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let csp: string[];

  beforeAll(async () => {
    smtp = await FakeSmtp.start();
    anthropic = await FakeAnthropic.start();
    g = await startGatehouse({
      env: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: 'gatehouse@example.com',
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: anthropic.url,
      },
    });
    browser = await launchBrowser();
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    csp = cspViolations(page);
  });
  afterAll(async () => {
    await browser?.close();
    await g?.stop();
    await smtp?.close();
    await anthropic?.close();
  });

  const request = async (id: string, extra: Record<string, unknown> = {}) => {
    const res = await g.api('/api/v1/approvals', {
      json: {
        id,
        title: `Scale the ${id} service`,
        explanation: 'Traffic doubled overnight.',
        requestedBy: 'ci',
        ...extra,
      },
    });
    expect(res.status).toBe(201);
    const stored = await eventually(
      () => g.gatehouse.gate.get(id),
      (r) => r.message !== null,
    );
    return stored.message!.ts;
  };

  /** Signs in with the link e-mailed to `email`, as a person would. */
  const signIn = async (email: string) => {
    await context.clearCookies();
    await page.goto(`${g.url}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('Your work e-mail address').fill(email);
    await page.getByRole('button', { name: 'E-mail me a sign-in link' }).click();
    await page.getByText('a sign-in link is on its way').waitFor();
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const link = /http:\/\/\S+\/signin\/link\/[A-Za-z0-9_.-]+/.exec(mail.text)?.[0];
    expect(link).toBeTruthy();
    await page.goto(link!.replace(/^http:\/\/localhost:\d+/, g.url));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${g.url}/`);
    smtp.messages.length = 0;
  };

  it('signs in by e-mail link, approves with changes, and Slack shows the outcome', async () => {
    const ts = await request('checkout', {
      context: { replicas: 3, region: 'eu-west-1' },
      modificationsSchema: REPLICAS_SCHEMA,
    });
    await signIn('u0alice@example.com');
    await expect.poll(() => page.getByText('Signed in as').count()).toBe(1);

    const item = page.locator('article[data-approval="checkout"]');
    await expect.poll(() => item.getByText('eu-west-1').count()).toBe(1);
    expect(await item.getByText('0 of 1 approvals').count()).toBe(1);
    console.log(`screenshot: ${await screenshot(page, 'inbox')}`);

    await item.getByRole('button', { name: 'Approve with changes' }).click();
    const replicas = page.getByLabel('Replicas');
    expect(await replicas.inputValue()).toBe('3');
    console.log(`screenshot: ${await screenshot(page, 'approve-with-changes')}`);
    // The page refuses what the schema refuses before anything is sent.
    await replicas.fill('99');
    await page.getByRole('button', { name: 'Review changes' }).click();
    expect(
      await replicas.evaluate(
        (input) => (input as unknown as { validity: { rangeOverflow: boolean } }).validity.rangeOverflow,
      ),
    ).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/approvals/checkout/changes');

    await replicas.fill('5');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const diff = page.getByRole('table', { name: 'What changes' });
    console.log(`screenshot: ${await screenshot(page, 'review-changes')}`);
    expect(await diff.getByRole('row', { name: /replicas 3 5/ }).count()).toBe(1);
    await page.getByRole('button', { name: 'Confirm approval with changes' }).click();
    await page.waitForURL(`${g.url}/approvals/checkout`);
    await page.getByText('The audit chain verifies').waitFor();
    console.log(`screenshot: ${await screenshot(page, 'approval')}`);

    const stored = await g.gatehouse.gate.get('checkout');
    expect(stored.status).toBe('approved');
    expect(stored.decision).toMatchObject({ decidedBy: 'U0ALICE', via: 'web', modifications: { replicas: 5 } });
    const update = await g.slack!.waitFor('chat.update', (c) => c.body.ts === ts);
    const shown = JSON.stringify(update.body.blocks);
    expect(shown).toContain('Approved by <@U0ALICE>');
    expect(shown).not.toContain(ActionId.Approve);
    expect(csp).toEqual([]);
  });

  it('removes a request decided by a Slack click from the open inbox without a reload', async () => {
    await signIn('u0alice@example.com');
    await page.locator('body[data-live="connected"]').waitFor();
    const ts = await request('payments');
    const item = page.locator('article[data-approval="payments"]');
    // It arrived live too: the page was opened before the request existed.
    await item.waitFor({ timeout: 3000 });
    // Set in the page now: still there at the end only if the page was never reloaded.
    const marker = await page.evaluate('globalThis.marker = 42');

    const clicked = await g.slackPost(
      blockActionsPayload({ actionId: ActionId.Approve, value: 'payments', userId: 'U0BOB', messageTs: ts }),
    );
    expect(clicked.status).toBe(200);
    await eventually(
      () => g.gatehouse.gate.get('payments'),
      (r) => r.status === 'approved',
    );
    await item.waitFor({ state: 'detached', timeout: 1000 });
    expect(await page.evaluate('globalThis.marker')).toBe(marker);
    expect(await page.locator('#live').textContent()).toContain('approved by U0BOB via slack');
  });

  it('reaches every control by keyboard, with a visible focus', async () => {
    await signIn('u0alice@example.com');
    await request('keyboard');
    await page.goto(`${g.url}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    const approve = page
      .locator('article[data-approval="keyboard"]')
      .getByRole('button', { name: 'Approve', exact: true });
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await approve.evaluate(
        (button) =>
          button === (button as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
      );
    }
    expect(reached).toBe(true);
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineWidth')).toBe('3px');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${g.url}/approvals/keyboard`);
    expect((await g.gatehouse.gate.get('keyboard')).decision).toMatchObject({ decidedBy: 'U0ALICE', via: 'web' });
  });

  it('shows a non-approver no buttons and refuses forged POSTs', async () => {
    await request('refunds');
    await signIn('u0mallory@example.com');
    const item = page.locator('article[data-approval="refunds"]');
    await item.waitFor();
    expect(
      await page.locator('section[aria-labelledby="others-heading"] article[data-approval="refunds"]').count(),
    ).toBe(1);
    expect(await item.getByRole('button').count()).toBe(0);
    expect(await item.getByText('You are not an approver of this request.').count()).toBe(1);

    const post = (form: Record<string, string>) =>
      page.request.post(`${g.url}/approvals/refunds/decide`, { form, maxRedirects: 0 });
    expect((await post({ decision: 'approve' })).status()).toBe(403);
    expect((await post({ decision: 'approve', _csrf: 'not-the-token' })).status()).toBe(403);
    // With the page's real token the gate still refuses: only approvers decide.
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const refused = await post({ decision: 'approve', _csrf: token });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('not an approver');
    expect((await g.gatehouse.gate.get('refunds')).status).toBe('pending');
  });

  it('starts a task from the Tasks page and follows its stages live to the end', async () => {
    await signIn('u0alice@example.com');
    await page.goto(`${g.url}/tasks`);
    await page.getByLabel('Agent').selectOption('content-pipeline');
    await page.getByLabel('Input (a JSON object)').fill('{"topic": "approval dashboards"}');
    await page.getByRole('button', { name: 'Start task' }).click();
    await page.waitForURL(/\/tasks\/content-pipeline-/);
    const panel = page.locator('#task-panel[data-status="completed"]');
    await panel.waitFor({ timeout: 10_000 });
    expect(await panel.locator('.stage.done').count()).toBe(4);
    const [task] = (await g.gatehouse.queries.tasks.list({ limit: 1 })).items;
    expect(task).toMatchObject({ agent: 'content-pipeline', status: 'completed', startedBy: 'U0ALICE' });
  });

  it('has no serious accessibility violations on the inbox, history and dashboard', async () => {
    await signIn('u0bob@example.com');
    await g.api('/api/v1/alerts', { json: { kind: 'failure', taskId: 'nightly', stage: 'load', error: 'timeout' } });
    for (const path of ['/', '/history', '/approvals/checkout', '/dashboard', '/tasks']) {
      await page.goto(`${g.url}${path}`);
      if (path === '/dashboard') {
        await page.locator('body[data-charts="drawn"]').waitFor();
        console.log(`screenshot: ${await screenshot(page, 'dashboard')}`);
      }
      expect(await seriousViolations(page), path).toEqual([]);
    }
    // Dark, as the system asks: the same checks (contrast above all).
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const path of ['/', '/dashboard']) {
      await page.goto(`${g.url}${path}`);
      if (path === '/dashboard') await page.locator('body[data-charts="drawn"]').waitFor();
      expect(await seriousViolations(page), `${path} (dark)`).toEqual([]);
      console.log(`screenshot: ${await screenshot(page, path === '/' ? 'inbox-dark' : 'dashboard-dark')}`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 320, height: 800 });
    await page.goto(`${g.url}/`);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
    console.log(`screenshot: ${await screenshot(page, 'inbox-320px')}`);
    await page.setViewportSize({ width: 1100, height: 900 });
    expect(csp).toEqual([]);
  });
});
