import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionId } from '../../src/slack/blocks/ids.js';
import { deletePrefix, freshPrefix, redisReachable, urlWithPrefix } from '../store/redis-support.js';
import { clusterEnv, type Instance, startInstance } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { FakeSlack } from '../support/fake-slack.js';
import { freshSchema, POSTGRES_URL, postgresReachable, SERVICES_REQUIRED } from '../support/postgres.js';
import { blockActionsPayload } from '../support/slack-requests.js';

interface Backend {
  name: string;
  available: () => Promise<boolean>;
  /** A store URL no other run uses, and how to remove what the run left there. */
  open: () => { url: string; cleanup: () => Promise<void> };
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite (one file, three processes)',
    available: async () => true,
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
      return {
        url: `sqlite://${join(dir, 'cluster.sqlite')}`,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    available: () => postgresReachable(),
    open: () => {
      const schema = freshSchema('gh_cluster');
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('schema', schema);
      return {
        url: url.toString(),
        cleanup: async () => {
          const client = new pg.Client({ connectionString: POSTGRES_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  },
  {
    name: 'Redis',
    available: () => redisReachable(),
    open: () => {
      const prefix = freshPrefix();
      return { url: urlWithPrefix(prefix), cleanup: () => deletePrefix(prefix) };
    },
  },
];

/** Receives signed callbacks and counts them per approval. */
async function callbackReceiver(): Promise<{ url: string; received: Map<string, number>; close: () => Promise<void> }> {
  const received = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const id = (JSON.parse(body) as { approval: { id: string } }).approval.id;
      received.set(id, (received.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

for (const backend of BACKENDS) {
  const reachable = await backend.available();
  if (!reachable && SERVICES_REQUIRED)
    throw new Error(`${backend.name} is required (CI or REQUIRE_SERVICES=1) but unreachable`);
  if (!reachable) console.warn(`${backend.name} unreachable: its cluster tests are skipped (start it to run them)`);

  describe.skipIf(!reachable)(`a cluster of three instances on ${backend.name}`, () => {
    let slack: FakeSlack;
    let store: { url: string; cleanup: () => Promise<void> };
    let env: Record<string, string>;
    const instances: Instance[] = [];
    const at = (i: number) => instances[i % instances.length] as Instance;

    beforeAll(async () => {
      slack = await FakeSlack.start();
      store = backend.open();
      env = clusterEnv(store.url, slack.url);
      // The first creates the schema or file; the others join it.
      instances.push(await startInstance('a', env));
      instances.push(...(await Promise.all(['b', 'c'].map((name) => startInstance(name, env)))));
    }, 60_000);

    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.stop()));
      await slack?.close();
      await store?.cleanup();
    }, 30_000);

    /** The Slack message of approval `id`, once it was announced (by whichever instance). */
    const messageOf = (id: string) =>
      eventually(
        async () => (await (await at(0).api(`/api/v1/approvals/${id}`)).json()) as { message: { ts: string } | null },
        (approval) => approval.message !== null,
        20_000,
      ).then((approval) => approval.message as { ts: string });

    it('wakes a long-poll on one instance with a Slack click on another', async () => {
      const id = `wake-${Date.now()}`;
      expect((await at(0).api('/api/v1/approvals', { json: { id, title: 'Deploy across the cluster' } })).status).toBe(
        201,
      );
      const waiting = at(1).api(`/api/v1/approvals/${id}?wait=30`);
      const clicked = Date.now();
      const click = await at(2).slackPost(
        blockActionsPayload({ actionId: ActionId.Approve, value: id, userId: 'U0ALICE' }),
      );
      expect(click.status).toBe(200);
      const answer = (await (await waiting).json()) as { status: string; decision: { via: string } };
      expect(answer).toMatchObject({ status: 'approved', decision: { via: 'slack' } });
      // Woken by the change notification, not by its 30 s wait running out.
      expect(Date.now() - clicked).toBeLessThan(10_000);
    });

    it('fires each deadline and reminder once while an instance is killed', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `deadline-${Date.now()}-${i}`);
      for (const [i, id] of ids.entries()) {
        const created = await at(i).api('/api/v1/approvals', {
          json: { id, title: `Short deadline ${i}`, timeoutSeconds: 4, remindAtPercent: 50, escalateAtPercent: null },
        });
        expect(created.status).toBe(201);
      }
      const messages = await Promise.all(ids.map(messageOf));
      await at(1).kill();
      for (const id of ids) {
        await eventually(
          async () => (await (await at(0).api(`/api/v1/approvals/${id}`)).json()) as { status: string },
          (approval) => approval.status === 'timeout',
          30_000,
        );
      }
      for (const [i, id] of ids.entries()) {
        const ts = messages[i]?.ts;
        const reminders = slack.callsTo('chat.postMessage').filter((call) => call.body.thread_ts === ts);
        expect(reminders, `reminders of ${id}`).toHaveLength(1);
        const audit = (await (await at(2).api(`/api/v1/approvals/${id}/audit`)).json()) as {
          entries: Array<{ type: string; data: { status?: string } }>;
        };
        expect(audit.entries.filter((entry) => entry.type === 'decided')).toHaveLength(1);
        expect(audit.entries.filter((entry) => entry.type === 'reminded')).toHaveLength(1);
      }
      instances[1] = await startInstance('b', env);
    }, 90_000);

    it('does everything a decision owes after a kill -9 right behind its answer', async () => {
      const receiver = await callbackReceiver();
      try {
        const ids = Array.from({ length: 5 }, (_, i) => `aimed-${Date.now()}-${i}`);
        for (const id of ids) {
          await at(0).api('/api/v1/approvals', { json: { id, title: `Aimed ${id}`, callbackUrl: receiver.url } });
        }
        const messages = await Promise.all(ids.map(messageOf));
        const victim = at(2);
        const answers = await Promise.all(
          ids.map((id) =>
            victim.api(`/api/v1/approvals/${id}/decision`, { json: { decision: 'approve', decidedBy: 'U0BOB' } }),
          ),
        );
        await victim.kill();
        expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 200));

        for (const [i, id] of ids.entries()) {
          await eventually(
            async () => receiver.received.get(id) ?? 0,
            (n) => n >= 1,
            30_000,
          );
          const audit = await eventually(
            async () =>
              (await (await at(0).api(`/api/v1/approvals/${id}/audit`)).json()) as { entries: Array<{ type: string }> },
            (found) => found.entries.some((entry) => entry.type === 'decided'),
            30_000,
          );
          expect(audit.entries.filter((entry) => entry.type === 'decided')).toHaveLength(1);
          const ts = messages[i]?.ts;
          await eventually(
            async () =>
              slack
                .callsTo('chat.update')
                .filter((call) => call.body.ts === ts && !JSON.stringify(call.body.blocks).includes('"actions"')),
            (updates) => updates.length > 0,
            30_000,
          );
        }
        expect([...receiver.received.values()].every((n) => n >= 1)).toBe(true);
      } finally {
        await receiver.close();
        instances[2] = await startInstance('c', env);
      }
    }, 120_000);

    it('paces alerts from all three instances into one channel: never two in the same second', async () => {
      const tag = `pace-${Date.now()}`;
      const sent = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          at(i).api('/api/v1/alerts', { json: { kind: 'failure', taskId: `${tag}-${i}`, stage: 's', error: 'boom' } }),
        ),
      );
      expect(sent.map((answer) => answer.status)).toEqual(sent.map(() => 202));
      const posts = await eventually(
        async () =>
          slack
            .callsTo('chat.postMessage')
            .filter((call) => call.body.channel === 'C0ALERTS' && JSON.stringify(call.body).includes(tag)),
        (found) => found.length === 6,
        30_000,
      );
      const times = posts.map((call) => call.at).sort((a, b) => a - b);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    }, 60_000);
  });
}
