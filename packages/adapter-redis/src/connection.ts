import { describeError, RefusedError, TransportError, within } from "@mailroom/core";
import { Redis, type RedisOptions } from "ioredis";

/** The oldest Redis with everything the transport uses (XAUTOCLAIM). */
const MIN_VERSION = [6, 2] as const;

/**
 * The connections of one transport: `commands`, shared by its sources, publisher and admin
 * (auto-pipelined, so the settles of many messages go out in one write), and a dedicated
 * connection per waiting receive (a blocking read cannot be aborted, so an aborted wait closes
 * its connection). `ready` checks the server once before anything is sent: ioredis alone would
 * hide a refused password behind "Connection is closed" and silently stay in database 0 when the
 * URL's database does not exist.
 */
export class RedisConnection {
  readonly commands: Redis;
  /** `host:port/db`, for messages. */
  readonly where: string;
  readonly #options: RedisOptions;
  readonly #blocking = new Set<Redis>();
  #ready: Promise<void> | undefined;

  constructor(options: RedisOptions, where: string) {
    this.#options = options;
    this.where = where;
    this.commands = new Redis({
      maxRetriesPerRequest: 1,
      ...options,
      lazyConnect: true,
      enableAutoPipelining: true,
    });
    // Failures reach callers through their commands; the event only needs a listener.
    this.commands.on("error", () => {});
  }

  /**
   * Resolve once the server answers, accepts the credentials and has the database, and is Redis
   * 6.2 or newer. Rejects with a `RefusedError` for what waiting cannot fix and a `TransportError`
   * while the server is not reachable. A success is remembered; a failure is tried again next time.
   */
  ready(signal?: AbortSignal): Promise<void> {
    this.#ready ??= probe(this.#options, this.where, signal).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** A new connection for one blocking read; `release` it after, or `discard` it when the read was cut short. */
  blocking(): Redis {
    const client = new Redis({ ...this.#options, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on("error", () => {});
    this.#blocking.add(client);
    return client;
  }

  /** Close a blocking connection (a read pending on it rejects at once). */
  discard(client: Redis): void {
    this.#blocking.delete(client);
    client.disconnect();
  }

  /** Close every connection: what was sent is answered first, unless the server takes over a second. */
  async close(): Promise<void> {
    for (const client of this.#blocking) client.disconnect();
    this.#blocking.clear();
    if (this.commands.status !== "ready") {
      this.commands.disconnect();
      return;
    }
    await within(1_000, this.commands.quit(), () => new Error("no answer")).catch(() => {});
    this.commands.disconnect();
  }
}

/** A `RefusedError` for what the server refused (credentials, permissions), else a `TransportError`. */
export function redisFailure(error: unknown, what: string, where: string): Error {
  if (error instanceof RefusedError || error instanceof TransportError) return error;
  const message = describeError(error);
  if (isReply(error) && /^(NOAUTH|WRONGPASS|NOPERM)/.test((error as Error).message)) {
    return new RefusedError(`${what}: Redis at ${where} refused: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new TransportError(`${what}: Redis at ${where}: ${message}`, { cause: error });
}

/** True for an error reply of the server (as opposed to a network failure). */
export function isReply(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

async function probe(options: RedisOptions, where: string, signal: AbortSignal | undefined): Promise<void> {
  const aborted = () => new TransportError(`the check of Redis at ${where} was aborted`);
  if (signal?.aborted) throw aborted();
  const { username, password, db, ...rest } = options;
  const client = new Redis({
    ...rest,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let networkError: unknown;
  client.on("error", (error: unknown) => {
    networkError ??= error;
  });
  // A server that stops answering keeps ioredis's own rejection waiting (its disconnect waits for
  // the socket to close), so an abort answers at once and leaves the rest to the background.
  let abort = () => {};
  const abortion = new Promise<never>((_, reject) => {
    abort = () => {
      client.disconnect();
      reject(aborted());
    };
  });
  signal?.addEventListener("abort", abort, { once: true });
  const work = (async () => {
    await client.connect().catch((error: unknown) => {
      throw new TransportError(
        `Redis at ${where} is not reachable: ${describeError(networkError ?? error)}`,
        {
          cause: networkError ?? error,
        },
      );
    });
    if (password) await authenticate(client, username, password, where);
    if (db) await select(client, db, where);
    await checkVersion(client, where);
  })();
  work.catch(() => {});
  try {
    await Promise.race([work, abortion]);
  } catch (error) {
    if (signal?.aborted) throw aborted();
    if (isReply(error) && (error as Error).message.startsWith("NOAUTH")) {
      throw new RefusedError(
        `Redis at ${where} requires a password: put it in the URL (redis://user:password@host:port/db)`,
        { cause: error },
      );
    }
    throw redisFailure(error, "the start-up check failed", where);
  } finally {
    signal?.removeEventListener("abort", abort);
    client.disconnect();
  }
}

async function select(client: Redis, db: number, where: string): Promise<void> {
  await client.call("SELECT", db).catch((error: unknown) => {
    if (!isReply(error)) throw error;
    throw new RefusedError(
      `Redis at ${where} has no database ${db} (${(error as Error).message}); use a number below the server's "databases" setting`,
      { cause: error },
    );
  });
}

async function checkVersion(client: Redis, where: string): Promise<void> {
  const info = String(await client.call("INFO", "server"));
  const version = /redis_version:(\d+)\.(\d+)/.exec(info);
  if (version && !atLeast([Number(version[1]), Number(version[2])], MIN_VERSION)) {
    throw new RefusedError(
      `Redis at ${where} is version ${version[1]}.${version[2]}; Mailroom needs ${MIN_VERSION.join(".")} or newer (XAUTOCLAIM)`,
    );
  }
}

async function authenticate(client: Redis, username: string | undefined, password: string, where: string) {
  try {
    await (username ? client.call("AUTH", username, password) : client.call("AUTH", password));
  } catch (error) {
    // A server without a password answers so to AUTH <password>; ioredis goes on, and so do we.
    if (isReply(error) && /without any password configured/i.test((error as Error).message)) return;
    // No cause: ioredis's errors for AUTH carry the command's arguments, the password among them,
    // and whoever logs or inspects the error with its causes would show it.
    if (!isReply(error)) {
      throw new TransportError(`Redis at ${where}: AUTH failed: ${(error as Error).message}`);
    }
    throw new RefusedError(
      `Redis at ${where} refused the credentials of the URL (${(error as Error).message}); check the user name and password`,
    );
  }
}

function atLeast(version: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    if ((version[i] ?? 0) !== min[i]) return (version[i] ?? 0) > min[i]!;
  }
  return true;
}
