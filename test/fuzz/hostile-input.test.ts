import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelSchema, decisionSchema } from '../../src/http/approvals.js';
import { SIGNING_SECRET, startGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { postSlack } from '../support/slack-requests.js';
import { approvalRequestBody, deepJsonText, hostile, hostileString, slackBodies } from './arbitraries.js';

/**
 * Property: whatever arrives — API bodies, query strings, paths, signed Slack payloads — the
 * answer is never a 5xx, nothing changes without a valid decision, and the process stays up.
 * FUZZ_RUNS sets the cases per property (default keeps `npm test` quick).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
/** Room for each property's cases on a busy machine. */
const TIMEOUT_MS = 30_000 + RUNS * 100;
const SENTINEL = 'fuzz-sentinel';
const DECIDED = 'fuzz-decided';

let g: TestGatehouse;
const tally = { cases: 0, fiveHundreds: 0 };

beforeAll(async () => {
  g = await startGatehouse({ env: { APPROVERS: 'U0ALICE' } });
  await g.gatehouse.gate.submit({ id: SENTINEL, title: 'Must stay pending', approvers: ['U0ALICE'] });
  await g.gatehouse.gate.submit({ id: DECIDED, title: 'Decided already' });
  await g.gatehouse.gate.decide(DECIDED, { decision: 'reject', decidedBy: 'ci', via: 'api' });
});
afterAll(async () => {
  // The figures of this run, for whoever reads the CI log.
  console.info(`fuzz: ${tally.cases} cases, ${tally.fiveHundreds} answered 5xx`);
  await g.stop();
});

/** Counts the case and fails it on a 5xx; returns the status. */
async function answered(response: Promise<Response>): Promise<number> {
  const res = await response;
  await res.arrayBuffer();
  tally.cases += 1;
  if (res.status >= 500) tally.fiveHundreds += 1;
  expect(res.status, `answered ${res.status}`).toBeLessThan(500);
  return res.status;
}

const sentinelUntouched = async () => {
  const record = await g.gatehouse.gate.get(SENTINEL);
  expect(record.status).toBe('pending');
  expect(record.votes ?? []).toEqual([]);
};

const options = { numRuns: RUNS, endOnFailure: true } as const;

describe('hostile input', { timeout: TIMEOUT_MS }, () => {
  it('API bodies: approval requests shaped by the schema and broken anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          approvalRequestBody,
          hostile,
          deepJsonText.map((raw) => ({ raw })),
        ),
        async (body) => {
          const raw = (body as { raw?: unknown } | null)?.raw;
          const text = typeof raw === 'string' ? raw : (JSON.stringify(body) ?? 'null');
          await answered(
            g.api('/api/v1/approvals', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text }),
          );
        },
      ),
      options,
    );
    await sentinelUntouched();
  });

  it('API bodies: decisions, cancels, alerts and tasks that are not valid change nothing', async () => {
    const route = fc.constantFrom(
      `/api/v1/approvals/${SENTINEL}/decision`,
      `/api/v1/approvals/${SENTINEL}/cancel`,
      '/api/v1/alerts',
      '/api/v1/tasks',
      `/api/v1/tasks/nope/resume`,
    );
    await fc.assert(
      fc.asyncProperty(route, hostile, async (path, body) => {
        // A valid decision or cancel of the sentinel is a legitimate change, not what this checks.
        fc.pre(!path.endsWith('/decision') || !decisionSchema.safeParse(body).success);
        fc.pre(!path.endsWith(`${SENTINEL}/cancel`) || !cancelSchema.safeParse(body).success);
        await answered(g.api(path, { json: body }));
      }),
      options,
    );
    await sentinelUntouched();
  });

  it('paths and query strings', async () => {
    const segment = fc.oneof(hostileString, fc.constantFrom('%ff', '%', '%%', '..', '%2e%2e', '%00'));
    const path = fc.oneof(
      segment.map((s) => `/api/v1/approvals/${s}`),
      segment.map((s) => `/decisions/${s}`),
      segment.map((s) => `/api/v1/tasks/${s}`),
      segment.map((s) => `/${s}`),
      fc.tuple(fc.string({ maxLength: 10 }), hostileString).map(([k, v]) => `/api/v1/approvals/${DECIDED}?${k}=${v}`),
      hostileString.map((v) => `/api/v1/approvals/${DECIDED}?wait=${v}`),
      hostileString.map((v) => `/api/v1/alerts?since=${v}&limit=${v}`),
      hostileString.map((v) => `/api/v1/tasks?limit=${v}&status=${v}`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'HEAD'), async (p, method) => {
        // Raw paths: not every generated string is a URL fetch will take.
        let url: URL;
        try {
          url = new URL(`${g.url}${p.slice(0, 2000)}`);
        } catch {
          return;
        }
        await answered(g.api(`${url.pathname}${url.search}`, { method }));
      }),
      options,
    );
    await sentinelUntouched();
  });

  it('signed Slack payloads: block_actions, view_submission, slash commands, events', async () => {
    await fc.assert(
      fc.asyncProperty(slackBodies(SENTINEL), async ({ body, contentType }) => {
        const started = performance.now();
        await answered(postSlack(g.url, body, { signingSecret: SIGNING_SECRET, contentType }));
        // Acknowledged well inside Slack's 3 s, never held until Bolt gives up.
        expect(performance.now() - started).toBeLessThan(2500);
      }),
      options,
    );
    await sentinelUntouched();
  });

  it('is still up and healthy afterwards', async () => {
    const res = await fetch(`${g.url}/healthz`);
    expect(res.status).toBe(200);
    expect(tally.fiveHundreds).toBe(0);
  });
});
