import { EventEmitter } from "node:events";
import { ConfigError, describeError, TransportError } from "@mailroom/core";
import { type ChannelModel, connect } from "amqplib";
import { connectFailure } from "./connect-errors.ts";
import { coalesceWrites } from "./cork.ts";
import type { ResolvedOptions } from "./options.ts";
import { type ConnectTarget, scrub } from "./url.ts";

/** Something that keeps channels on the connection: told on every (re)connect and on loss. */
export interface ChannelUser {
  /** Open channels (and declare what it needs) on a fresh connection. A throw is retried with backoff. */
  connected(model: ChannelModel): Promise<void>;
  /** The connection is gone: forget channels, fail or park in-flight work. */
  disconnected(error: Error): void;
}

/** Events of an `AmqpConnection`. */
export interface ConnectionEvents {
  connected: [];
  disconnected: [error: Error];
  reconnecting: [info: { attempt: number; delayMs: number }];
}

/**
 * One AMQP connection that comes back: on loss it reconnects with exponential backoff and full
 * jitter, then hands the new connection to every registered `ChannelUser` (which re-declare
 * topology and resume consuming or publishing). Errors it raises never contain the password.
 */
export class AmqpConnection extends EventEmitter<ConnectionEvents> {
  readonly target: ConnectTarget;
  readonly #options: ResolvedOptions;
  readonly #users = new Set<ChannelUser>();
  #model: ChannelModel | undefined;
  #closing = false;
  #reconnectAttempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #started: Promise<void> | undefined;
  /** The connection attempt in flight, shared by everyone who asks for one meanwhile. */
  #connecting: Promise<void> | undefined;
  #waiters: Array<() => void> = [];
  readonly #openedOn = new WeakMap<ChannelUser, ChannelModel>();

  constructor(target: ConnectTarget, options: ResolvedOptions) {
    super();
    this.target = target;
    this.#options = options;
  }

  /** The live connection, or undefined while reconnecting. */
  get model(): ChannelModel | undefined {
    return this.#model;
  }

  get closed(): boolean {
    return this.#closing;
  }

  /**
   * Connect (once). Rejects at once with a `ConfigError` when the broker refuses the login or the
   * virtual host, and with a `TransportError` after `reconnect.initialAttempts` failed attempts.
   */
  start(): Promise<void> {
    this.#started ??= this.#firstConnect().catch((error) => {
      this.#started = undefined;
      throw error;
    });
    return this.#started;
  }

  /**
   * One connection attempt now, unless connected already (or an attempt is in flight, which it
   * joins): no retry and no log line, so the caller owns the waiting and what it prints. Rejects
   * with a `ConfigError` for what waiting cannot fix (login, virtual host, TLS set-up) and with a
   * `TransportError` otherwise (see `connectFailure`).
   */
  async probe(): Promise<void> {
    if (this.#closing) throw new TransportError(`the connection to ${this.target.redacted} is closed`);
    try {
      await this.#attemptOnce();
    } catch (error) {
      throw connectFailure(error, this.target);
    }
  }

  /** Register a user; if connected, it is opened now (its errors are retried like on reconnect). */
  async add(user: ChannelUser): Promise<void> {
    this.#users.add(user);
    await this.start();
    const model = this.#model;
    if (model) await this.#open(user, model, 0);
  }

  remove(user: ChannelUser): void {
    this.#users.delete(user);
  }

  /** Resolves at the next successful (re)connect, or at once when connected. */
  ready(): Promise<void> {
    if (this.#model || this.#closing) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** A user lost its channel while the connection lives (channel error, consumer_timeout): reopen it after a backoff. */
  reopen(user: ChannelUser, error: Error): void {
    const model = this.#model;
    if (!model || this.#closing || !this.#users.has(user)) return;
    this.#options.logger.warn({ error: this.describe(error) }, "AMQP channel closed; reopening it");
    void this.#open(user, model, 1, true);
  }

  /** A one-line error description with credentials scrubbed. */
  describe(error: unknown): string {
    return scrub(describeError(error), this.target.secret);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    for (const wake of this.#waiters.splice(0)) wake();
    const model = this.#model;
    this.#model = undefined;
    if (model) await model.close().catch(() => {});
  }

  async #firstConnect(): Promise<void> {
    const attempts = Math.max(1, this.#options.reconnect.initialAttempts);
    for (let attempt = 1; ; attempt++) {
      if (this.#closing)
        throw new TransportError(`connection to ${this.target.redacted} was closed while connecting`);
      try {
        await this.#attemptOnce();
        return;
      } catch (error) {
        const failure = connectFailure(error, this.target);
        if (failure instanceof ConfigError || attempt >= attempts) throw failure;
        await sleep(this.#delay(attempt));
      }
    }
  }

  #attemptOnce(): Promise<void> {
    if (this.#model) return Promise.resolve();
    this.#connecting ??= this.#connectOnce().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    const socket = {
      ...this.#options.socketOptions,
      clientProperties: { connection_name: this.#options.connectionName },
    };
    const model = await connect(this.target.connect, socket);
    coalesceWrites(model);
    if (this.#closing) {
      await model.close().catch(() => {});
      return;
    }
    model.on("error", () => {
      // The 'close' that follows carries the same error; handled there.
    });
    model.on("close", (error?: Error) => this.#lost(model, error ?? new Error("connection closed")));
    model.on("blocked", (reason: string) =>
      this.#options.logger.warn(
        { reason },
        "RabbitMQ blocked this connection (resource alarm); publishes wait",
      ),
    );
    this.#model = model;
    this.#reconnectAttempt = 0;
    for (const wake of this.#waiters.splice(0)) wake();
    this.emit("connected");
    await Promise.all([...this.#users].map((u) => this.#open(u, model, 0)));
  }

  /**
   * Open `user` on `model`. Once per user and connection unless `force` (a reopen after its
   * channel died, or a retry after its setup failed): `add` racing the first connect must not
   * open a user twice (that would leave a second consumer holding messages).
   */
  async #open(user: ChannelUser, model: ChannelModel, tries: number, force = false): Promise<void> {
    if (!force && this.#openedOn.get(user) === model) return;
    this.#openedOn.set(user, model);
    if (tries > 0) await sleep(this.#delay(tries));
    if (this.#model !== model || !this.#users.has(user)) return;
    try {
      await user.connected(model);
    } catch (error) {
      if (this.#model !== model || this.#closing) return;
      this.#options.logger.error(
        { error: this.describe(error), attempt: tries + 1 },
        "AMQP setup failed; retrying",
      );
      void this.#open(user, model, tries + 1, true);
    }
  }

  #lost(model: ChannelModel, error: Error): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    for (const u of this.#users) u.disconnected(error);
    if (this.#closing) return;
    this.#options.logger.warn({ error: this.describe(error) }, "AMQP connection lost; reconnecting");
    this.emit("disconnected", error);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closing || this.#reconnectTimer) return;
    this.#reconnectAttempt++;
    const delayMs = this.#delay(this.#reconnectAttempt);
    this.emit("reconnecting", { attempt: this.#reconnectAttempt, delayMs });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#attemptOnce().catch((error) => {
        this.#options.logger.debug(
          { error: this.describe(error), attempt: this.#reconnectAttempt },
          "reconnect failed",
        );
        this.#schedule();
      });
    }, delayMs);
  }

  /** Exponential backoff with full jitter between min and max. */
  #delay(attempt: number): number {
    const { minMs, maxMs } = this.#options.reconnect;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 30));
    return minMs / 2 + Math.random() * Math.max(0, ceiling - minMs / 2);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
