import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.js';

/** The local operator's grants page, fetched and posted as a browser would. */
let g: TestGatehouse;
let cookie = '';
let csrf = '';

const page = async (path: string) => {
  const res = await fetch(`${g.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const text = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
  if (token) csrf = token;
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]);
  if (set.length > 0) cookie = set.join('; ');
  return { status: res.status, text };
};
const post = (path: string, form: Record<string, string>) =>
  fetch(`${g.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

beforeAll(async () => {
  g = await startGatehouse({ slack: false, env: { GATEHOUSE_API_TOKEN: '' } });
  await page('/');
});
afterAll(async () => {
  await g.stop();
});

describe('the grants page', () => {
  it('lists grants and revokes one through a CSRF-checked form, audited as the local operator', async () => {
    const { gate } = g.gatehouse;
    const scope = { actionKey: 'Bash', taskId: 'web-run', requestedBy: 'agent-9' };
    await gate.submit({ id: 'w-1', title: 'Run Bash', ...scope });
    await gate.decide('w-1', { decision: 'approve', decidedBy: 'U0ALICE', via: 'api', grant: 'run' });

    const listed = await page('/grants');
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('<code>Bash</code>');
    expect(listed.text).toContain('action="/grants/grant-w-1/revoke"');
    expect(listed.text).toContain('aria-label="Revoke the grant for Bash to agent-9"');

    expect((await post('/grants/grant-w-1/revoke', {})).status).toBe(403);
    expect(gate.grants.status((await gate.grants.records.get('grant-w-1'))!)).toBe('active');

    const revoked = await post('/grants/grant-w-1/revoke', { _csrf: csrf });
    expect(revoked.status).toBe(303);
    expect(await gate.grants.records.get('grant-w-1')).toMatchObject({ revokedBy: 'local-operator' });
    expect((await page('/grants')).text).not.toContain('action="/grants/grant-w-1/revoke"');
    expect((await gate.submit({ id: 'w-2', title: 'Run Bash', ...scope })).record.status).toBe('pending');
  });
});
