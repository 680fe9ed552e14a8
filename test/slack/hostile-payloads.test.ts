import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId, encodeModalMetadata, ViewId } from '../../src/slack/blocks/ids.js';
import { SIGNING_SECRET, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { blockActionsPayload, interactiveBody, postSlack, viewSubmissionPayload } from '../support/slack-requests.js';

let g: TestGatehouse;
beforeAll(async () => {
  g = await startGatehouse();
  await g.gatehouse.gate.submit({ id: 'hostile-1', title: 'Stays pending' });
});
afterAll(async () => {
  await g.stop();
});

const post = (body: string, contentType = 'application/x-www-form-urlencoded', timestamp?: number) =>
  postSlack(g.url, body, { signingSecret: SIGNING_SECRET, contentType, timestamp });

describe('validly signed but hostile Slack requests', () => {
  it.each([
    ['payload=null', 'payload=null'],
    ['a payload that is not JSON', 'payload=%7Bnot-json'],
    ['a payload that is an array', interactiveBody([1, 2])],
    [
      'block_actions without a user',
      interactiveBody({ ...blockActionsPayload({ actionId: ActionId.Approve, value: 'hostile-1' }), user: null }),
    ],
    [
      'block_actions whose actions are not objects',
      interactiveBody({ type: 'block_actions', user: { id: 'U0ALICE' }, actions: ['x'] }),
    ],
    [
      'a view_submission with view.state: null',
      interactiveBody(
        viewSubmissionPayload({
          callbackId: ViewId.Reject,
          privateMetadata: encodeModalMetadata({ approvalId: 'hostile-1', channel: null, ts: null }),
          userId: 'U0ALICE',
          overrides: { view: { state: null } },
        }),
      ),
    ],
  ])('answers %s with an ack, not a 5xx, and decides nothing', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBeLessThan(500);
    expect((await g.gatehouse.gate.get('hostile-1')).status).toBe('pending');
  });

  it.each([
    ['an event that is not an object', { type: 'event_callback', event: 'app_home_opened' }],
    ['an event with a null user', { type: 'event_callback', event: { type: 'app_home_opened', user: null } }],
    [
      'authorizations holding null',
      { type: 'event_callback', authorizations: [null], event: { type: 'app_home_opened', user: 'U0A' } },
    ],
    ['a body that is a number', 42],
  ])('answers %s with 200', async (_name, body) => {
    expect((await post(JSON.stringify(body), 'application/json')).status).toBe(200);
  });

  it('acknowledges a payload no listener matches at once, not after 3 s', async () => {
    const started = performance.now();
    const res = await post(interactiveBody(blockActionsPayload({ actionId: 'not_ours', value: 'x' })));
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    const command = await post('command=%2Fnot-ours&text=&user_id=U0A&channel_id=C0A&response_url=x');
    expect(command.status).toBe(200);
  });

  it('refuses signatures more than five minutes in the future, like old ones', async () => {
    const body = interactiveBody(blockActionsPayload({ actionId: 'not_ours', value: 'x' }));
    const now = Math.floor(Date.now() / 1000);
    expect((await post(body, undefined, now + 400)).status).toBe(401);
    expect((await post(body, undefined, now - 400)).status).toBe(401);
    expect((await post(body, undefined, now + 60)).status).toBe(200);
    const forged = await postSlack(g.url, body, { signingSecret: 'not-the-secret-0123456789' });
    expect(forged.status).toBe(401);
  });

  it('answers undecodable API paths with 400', async () => {
    expect((await g.api('/api/v1/approvals/%ff')).status).toBe(400);
    expect((await fetch(`${g.url}/decisions/%ff`)).status).toBe(400);
  });
});
