import pRetry from 'p-retry';
import pg from 'pg';

/** What the LISTEN connection reports to its store. */
export interface ListenerEvents {
  /** A NOTIFY payload on the channel (from any instance, this one included). */
  message(payload: string): void;
  /** LISTEN is back after the connection was lost at `lostAt` (epoch ms): notifications in between are gone. */
  reconnected(lostAt: number): void;
  error(error: unknown): void;
}

/**
 * One dedicated connection LISTENing on a channel (a pooled connection cannot: LISTEN belongs to
 * the session). When the connection drops it reconnects with backoff, forever until closed, and
 * LISTENs again; the store then re-reads what changed while it was away.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private readonly abort = new AbortController();
  private reconnecting = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly events: ListenerEvents,
  ) {}

  /** Connects and LISTENs; throws when the first connection fails (so a bad URL fails the open). */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.abort.abort();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined) this.events.message(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.abort.signal.aborted) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (client !== this.client || this.abort.signal.aborted || this.reconnecting) return;
    const lostAt = Date.now();
    this.client = undefined;
    this.reconnecting = true;
    if (error) this.events.error(error);
    void client.end().catch(() => {});
    pRetry(() => this.connect(), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 100,
      maxTimeout: 5000,
      signal: this.abort.signal,
      unref: true,
    })
      .then(() => {
        this.reconnecting = false;
        if (!this.abort.signal.aborted) this.events.reconnected(lostAt);
      })
      .catch((reason) => {
        this.reconnecting = false;
        if (!this.abort.signal.aborted) this.events.error(reason);
      });
  }
}
