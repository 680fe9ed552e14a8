import fc from 'fast-check';
import { ActionId, encodeModalMetadata, InputId, ViewId } from '../../src/slack/blocks/ids.js';
import {
  blockActionsPayload,
  commandBody,
  interactiveBody,
  slashCommandPayload,
  viewSubmissionPayload,
} from '../support/slack-requests.js';

/** Keys that break naive code: prototype pollution and inherited names. */
export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''),
  fc.string({ maxLength: 12 }),
);

const HUGE = 'x'.repeat(300_000);

/** Strings that have broken parsers, templates and limits before. */
export const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '%ff',
      '%E0%A4%A',
      '\ud800',
      '<script>alert(1)</script>',
      '{{7*7}}',
      'null',
      '{}',
      '[]',
      HUGE,
      'U0ALICE',
      'S0ONCALL',
    ),
  },
);

const leaf = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308),
);

/** Any JSON value: wrong types, nulls, odd keys, moderately nested. */
export const jsonTree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    leaf,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('tree'), { maxKeys: 5 }),
  ),
})).tree;

/** A value nested `depth` levels deep, as arrays or objects. */
export const deeplyNested = fc.tuple(fc.integer({ min: 50, max: 300 }), fc.boolean()).map(([depth, asArray]) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
});

/** JSON text nested far deeper than any value a test could build and stringify. */
export const deepJsonText = fc
  .tuple(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

/** Hostile shapes of anything. */
export const hostile = fc.oneof({ weight: 5, arbitrary: jsonTree }, { weight: 1, arbitrary: deeplyNested });

const slackUser = fc.oneof(fc.constantFrom('U0MALLORY', 'U0EVE', 'W0GUEST'), hostileString);

/** Approval requests shaped by the request schema, each field possibly wrong. */
export const approvalRequestBody = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:@-]{1,40}$/), hostile),
    title: fc.oneof(fc.string({ maxLength: 60 }), hostile),
    explanation: fc.oneof(fc.string(), hostile),
    context: hostile,
    approvers: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom('U0ALICE', 'S0ONCALL'), hostileString), { maxLength: 3 }),
      hostile,
    ),
    channel: fc.oneof(fc.constantFrom('C0APPROVALS', '#general'), hostile),
    timeoutSeconds: fc.oneof(fc.integer({ min: -5, max: 4_000_000 }), hostile),
    callbackUrl: fc.oneof(
      fc.constantFrom('http://127.0.0.1:1/cb', 'javascript:alert(1)', 'file:///etc/passwd'),
      hostile,
    ),
    requiredApprovals: fc.oneof(fc.integer({ min: -1, max: 30 }), hostile),
    approverGroups: hostile,
    escalation: hostile,
    onTimeout: fc.oneof(fc.constantFrom('timeout', 'approve', 'keep-waiting'), hostile),
    modificationsSchema: fc.oneof(
      fc.constant({ type: 'object', properties: { budget: { type: 'number' } }, required: ['budget'] }),
      fc.record({ type: fc.constant('object'), properties: fc.dictionary(hostileKey, hostile, { maxKeys: 3 }) }),
      fc.record({ $ref: fc.constantFrom('#', '#/definitions/x', 'http://example.com/s') }),
      hostile,
    ),
  },
  { requiredKeys: [] },
);

/** A form body for the interactivity endpoint from any payload, or raw hostile form text. */
function interactive(payload: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return payload.map((p) => interactiveBody(p));
}

/** Overrides merged into a realistic payload, breaking one or a few fields. */
const overrides = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), hostile, { maxKeys: 3 });

/** Signed-request bodies Slack could send, realistic and broken, each with its content type. */
export function slackBodies(sentinel: string): fc.Arbitrary<{ body: string; contentType: string }> {
  const actionId = fc.constantFrom(...Object.values(ActionId), 'someone_elses_button', '__proto__');
  const clicks = fc
    .record({
      actionId,
      value: fc.oneof(fc.constant(sentinel), hostileString),
      userId: slackUser,
      overrides: overrides(['type', 'user', 'actions', 'team', 'container', 'channel', 'trigger_id', 'message']),
    })
    .map((o) => blockActionsPayload(o as Parameters<typeof blockActionsPayload>[0]));
  const metadata = fc.oneof(
    fc.constant(encodeModalMetadata({ approvalId: sentinel, channel: 'C0APPROVALS', ts: '1700000000.000100' })),
    hostileString,
  );
  const submissions = fc
    .record({
      callbackId: fc.constantFrom(...Object.values(ViewId), 'someone_elses_modal'),
      privateMetadata: metadata,
      userId: slackUser,
      values: fc.oneof(
        fc.constant({ [InputId.Reason.block]: { [InputId.Reason.action]: 'no' } }),
        fc.record({ [InputId.Modifications.block]: fc.record({ [InputId.Modifications.action]: fc.string() }) }),
        fc.dictionary(hostileKey, fc.dictionary(hostileKey, fc.oneof(fc.string(), fc.constant(null)))),
      ),
      overrides: fc.oneof(
        overrides(['type', 'user', 'team', 'view']),
        fc.record({ view: fc.dictionary(fc.constantFrom('state', 'private_metadata', 'callback_id', 'id'), hostile) }),
        fc.constant({ view: { state: null } }),
      ),
    })
    .map((o) => viewSubmissionPayload(o as unknown as Parameters<typeof viewSubmissionPayload>[0]));
  const commands = fc
    .record({
      command: fc.constantFrom('/agent', '/other'),
      text: fc.oneof(
        fc.constantFrom('help', 'list', 'status', 'status nope', 'resume nope', 'cancel nope', 'start nope-agent a=b'),
        fc.string({ maxLength: 200 }),
      ),
      userId: fc.constantFrom('U0MALLORY', 'U0EVE'),
      overrides: fc.dictionary(
        fc.constantFrom('user_id', 'channel_id', 'team_id', 'trigger_id', 'command'),
        fc.string(),
      ),
    })
    .map((o) => commandBody(slashCommandPayload(o) as unknown as Record<string, string>));
  const events = fc
    .oneof(
      fc.record({ type: fc.constant('event_callback'), event: hostile }),
      fc.record({
        type: fc.constant('event_callback'),
        event: fc.record({
          type: fc.constantFrom('app_home_opened', 'message', '__proto__'),
          user: hostile,
          tab: hostile,
        }),
        authorizations: fc.oneof(fc.constant(undefined), hostile),
      }),
      fc.record({ type: fc.constant('url_verification'), challenge: hostile }),
      hostile,
    )
    .map((e) => JSON.stringify(e) ?? 'null');
  const form = 'application/x-www-form-urlencoded';
  return fc.oneof(
    interactive(clicks).map((body) => ({ body, contentType: form })),
    interactive(submissions).map((body) => ({ body, contentType: form })),
    interactive(hostile).map((body) => ({ body, contentType: form })),
    commands.map((body) => ({ body, contentType: form })),
    events.map((body) => ({ body, contentType: 'application/json' })),
    fc.oneof(fc.constantFrom('payload=null', 'payload=', 'payload=%7B', 'ssl_check=1'), fc.string()).map((body) => ({
      body,
      contentType: form,
    })),
  );
}
