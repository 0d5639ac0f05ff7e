import pg from "pg";
import type { Logger } from "pino";

export interface ListenerOptions {
  url: string;
  channel: string;
  /** Each notification's payload. */
  onMessage: (payload: string) => void;
  /** After every (re)connection: notifications sent while disconnected were lost. */
  onConnected: () => void;
  log: Logger;
}

const RETRY_MS = 1_000;

/**
 * One connection of its own that LISTENs on a channel, for news from other processes (a
 * duplicate's original completing elsewhere). It reconnects on its own; nothing waits for it, so a
 * database away only delays that news. Not for the embedded database: one process, one connection.
 */
export class Listener {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: ListenerOptions) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { url, channel, log } = this.options;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000, keepAlive: true, keepAliveInitialDelayMillis: 5_000 });
    client.on("notification", (message) => {
      if (message.channel === channel && message.payload) this.options.onMessage(message.payload);
    });
    // Not `err`: pg's error carries the client, and its connection string, into the log line.
    client.on("error", (error: Error & { code?: string }) => {
      log.warn({ code: error.code, message: error.message, channel }, "listener connection failed; reconnecting");
      this.retry(client);
    });
    client.on("end", () => this.retry(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      this.options.onConnected();
    } catch (error) {
      log.warn({ message: (error as Error).message, channel }, "listener could not connect; retrying");
      this.retry(client);
    }
  }

  private retry(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    void client.end().catch(() => undefined);
    this.timer = setTimeout(() => void this.connect(), RETRY_MS).unref();
  }
}
