import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.js';
import { createStore } from '../../src/store/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { ALL, type Store, type StoreOptions, type Versioned } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import { dropSchema, freshSchema, POSTGRES_URL, postgresAvailable, schemaUrl } from '../support/postgres.js';
import { storeContract } from './contract.js';

const available = await postgresAvailable();
const OPTIONS: StoreOptions = { retry: { minMs: 10, maxMs: 50 }, pollMs: 500 };

describe.skipIf(!available)('PostgreSQL', () => {
  storeContract('postgres', async () => {
    const schema = freshSchema();
    const url = schemaUrl(schema);
    let current = await createStore(url, OPTIONS);
    const others: Store[] = [];
    return {
      store: current,
      another: async () => {
        const other = await createStore(url, OPTIONS);
        others.push(other);
        return other;
      },
      reopen: async () => {
        await current.close();
        current = await createStore(url, OPTIONS);
        return current;
      },
      cleanup: async () => {
        await Promise.all([...others, current].map((store) => store.close()));
        await dropSchema(schema);
      },
    };
  });

  interface Doc extends Versioned {
    owner: string;
  }

  describe('PostgresStore', () => {
    let schema: string;
    let stores: Store[];

    beforeEach(async () => {
      schema = freshSchema();
      stores = [];
    });

    afterEach(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await dropSchema(schema);
    });

    async function open(url = schemaUrl(schema)): Promise<Store> {
      const store = await createStore(url, OPTIONS);
      stores.push(store);
      return store;
    }

    it('opens postgresql:// URLs too, in the schema the URL names', async () => {
      const store = await open(schemaUrl(schema).replace(/^postgres:/, 'postgresql:'));
      expect(store).toBeInstanceOf(PostgresStore);
      await store.records<Doc>('approvals').insert({ id: 'a', version: 1, owner: 'ana' });
      const other = await open();
      expect(await other.records<Doc>('approvals').get('a')).toEqual({ id: 'a', version: 1, owner: 'ana' });
    });

    it('opens three instances at once on a schema that does not exist yet', async () => {
      const [a, b, c] = await Promise.all([open(), open(), open()]);
      if (!a || !b || !c) throw new Error('expected three stores');
      const ran: string[] = [];
      for (const store of [a, b, c]) {
        store.effects.handle('test.boot', async (effect) => {
          ran.push(effect.key);
        });
      }
      await Promise.all([a, b, c].map((store) => store.effects.start()));
      await a
        .records<Doc>('approvals')
        .insert({ id: 'a', version: 1, owner: 'ana' }, [{ key: 'boot:a', kind: 'test.boot', payload: {} }]);
      expect(await c.records<Doc>('approvals').get('a')).toEqual({ id: 'a', version: 1, owner: 'ana' });
      await eventually(
        async () => ran,
        (keys) => keys.length === 1,
      );
      await eventually(
        () => b.effects.owed(),
        (n) => n === 0,
      );
      expect(ran).toEqual(['boot:a']);
    });

    it('refuses a schema name pg-boss would fold or reject, naming STORE_URL', async () => {
      for (const name of ['Upper', '1st', 'semi;colon', 'x'.repeat(51)]) {
        const opening = createStore(schemaUrl(name), OPTIONS);
        await expect(opening).rejects.toBeInstanceOf(ConfigError);
        await expect(opening).rejects.toMatchObject({ issues: [{ field: 'STORE_URL' }] });
      }
    });

    it('reports an unreachable server as a StoreError without its password', async () => {
      const opening = createStore('postgres://postgres:s3cret@127.0.0.1:1/test', OPTIONS);
      await expect(opening).rejects.toBeInstanceOf(StoreError);
      await expect(opening).rejects.not.toThrow(/s3cret/);
    });

    it('lets exactly one of 50 replaces spread over two instances win', async () => {
      const [first, second] = [await open(), await open()].map((store) => store.records<Doc>('approvals'));
      if (!first || !second) throw new Error('expected two stores');
      await first.insert({ id: 'req-1', version: 1, owner: 'nobody' });
      const attempts = Array.from({ length: 50 }, (_, i) => ({ id: 'req-1', version: 2, owner: `racer-${i}` }));
      const results = await Promise.all(attempts.map((attempt, i) => (i % 2 ? first : second).replace(attempt, 1)));
      const winners = attempts.filter((_, i) => results[i]);
      expect(winners).toHaveLength(1);
      expect(await second.get('req-1')).toEqual(winners[0]);
    });

    it('writes nothing when an effect of the write cannot be recorded', async () => {
      const store = await open();
      const docs = store.records<Doc>('approvals');
      // jsonb (pg-boss's job data) refuses \u0000: the job fails inside the record's transaction.
      const bad = { key: 'bad:1', kind: 'test.bad', payload: { text: 'nul \u0000 here' } };
      await expect(docs.insert({ id: 'a', version: 1, owner: 'ana' }, [bad])).rejects.toBeInstanceOf(StoreError);
      expect(await docs.get('a')).toBeUndefined();
      expect(await docs.count(ALL)).toBe(0);
      expect(await store.effects.owed()).toBe(0);
      // The key was rolled back with the rest, so a good write may record it.
      await docs.insert({ id: 'a', version: 1, owner: 'ana' }, [{ ...bad, payload: { text: 'fine' } }]);
      expect(await store.effects.owed('test.bad')).toBe(1);
    });

    it('never runs a completed effect again when its key is enqueued later', async () => {
      const store = await open();
      const ran: string[] = [];
      store.effects.handle(
        'test.once',
        async (effect) => {
          ran.push(effect.key);
        },
        { concurrency: 1 },
      );
      await store.effects.start();
      await store.effects.enqueue([{ key: 'once', kind: 'test.once', payload: {} }]);
      await eventually(
        () => store.effects.owed('test.once'),
        (n) => n === 0 && ran.length === 1,
      );
      await store.effects.enqueue([{ key: 'once', kind: 'test.once', payload: {} }]);
      await store.effects.enqueue([{ key: 'marker', kind: 'test.once', payload: {} }]);
      // One at a time, oldest first: a second run of `once` would come before the marker.
      await eventually(
        async () => ran,
        (keys) => keys.includes('marker'),
      );
      expect(ran).toEqual(['once', 'marker']);
    });

    it('stops after the handler running now returned, and leaves its effect done', async () => {
      const store = await open();
      let release = () => {};
      const started = new Promise<void>((resolve) => {
        store.effects.handle('test.slow', async () => {
          resolve();
          await new Promise<void>((done) => {
            release = done;
          });
        });
      });
      await store.effects.start();
      await store.effects.enqueue([{ key: 'slow', kind: 'test.slow', payload: {} }]);
      await started;
      let stopped = false;
      const stopping = store.effects.stop().then(() => {
        stopped = true;
      });
      await store.ping();
      expect(stopped).toBe(false);
      expect(store.effects.running).toBe(false);
      release();
      await stopping;
      expect(await store.effects.owed('test.slow')).toBe(0);
    });

    it('re-LISTENs after its connection dropped and replays the changes written meanwhile', async () => {
      const proxy = await TcpProxy.start(new URL(POSTGRES_URL));
      try {
        const through = new URL(schemaUrl(schema));
        through.host = `127.0.0.1:${proxy.port}`;
        const watcher = (await open(through.toString())) as PostgresStore;
        const records = (await open()).records<Doc>('approvals');
        const heard: string[] = [];
        watcher.watch('approvals', (id) => heard.push(id));
        await records.insert({ id: 'before', version: 1, owner: 'ana' });
        await eventually(
          async () => heard,
          (ids) => ids.includes('before'),
        );

        await proxy.drop();
        // Written while the watcher cannot reach the server: only the replay after the reconnect can tell it.
        await records.insert({ id: 'during', version: 1, owner: 'bo' });
        expect(heard).not.toContain('during');
        await proxy.resume();
        await eventually(
          async () => heard,
          (ids) => ids.includes('during'),
          10_000,
        );
        await records.insert({ id: 'after', version: 1, owner: 'cy' });
        await eventually(
          async () => heard,
          (ids) => ids.includes('after'),
        );
      } finally {
        await proxy.close();
      }
    });
  });
});

/** A loopback TCP proxy to PostgreSQL whose connections the test can cut (and refuse) at will. */
class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server;

  private constructor(
    private readonly target: URL,
    readonly port: number,
  ) {
    this.server = this.listen();
  }

  static async start(target: URL): Promise<TcpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    if (!address || typeof address === 'string') throw new Error('no port');
    return new TcpProxy(target, address.port);
  }

  /** Cuts every connection and refuses new ones. */
  async drop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  resume(): Promise<void> {
    this.server = this.listen();
    return new Promise((resolve) => this.server.once('listening', resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise((resolve) => this.server.close(resolve));
  }

  private listen(): Server {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    return server;
  }
}
