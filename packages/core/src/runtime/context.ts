import type { Codec } from "../codec/codec.ts";
import type { Envelope, Outgoing, PublishOptions } from "../envelope.ts";
import { ConfigError, RetryLater } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { carryTraceContext } from "../tracing/producer.ts";
import type { Publisher } from "../transport.ts";

/** What a runtime gives the handlers it runs. */
export interface Runtime {
  /** Where `ctx.publish` and replies go. Created lazily by push adapters. */
  publisher(): Publisher;
  readonly logger: Logger;
  /** Aborted when the runtime shuts down. */
  readonly signal: AbortSignal;
}

/** Options of `ctx.publish` / `ctx.forward`. */
export interface SendOptions extends PublishOptions {
  /** Destination override (transport-specific). */
  to?: string;
  headers?: Record<string, string>;
  groupId?: string;
  priority?: number;
  /** Write this message with this codec (`cloudEventsCodec()`, …) instead of the app's choice for its name. */
  codec?: Codec;
}

/** The second argument of every handler. */
export interface Context<T = unknown> {
  readonly envelope: Envelope<T>;
  /** 1 on first delivery. */
  readonly attempt: number;
  /** Aborted on timeout or shutdown: pass it to fetch / SDK calls. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Publish a new message in the same conversation (`correlationId` and trace context carried). */
  publish(name: string, data: unknown, options?: SendOptions): Promise<void>;
  /** Publish a follow-up that keeps lineage: `parentId` = this message, same `correlationId`. */
  forward(name: string, data: unknown, options?: SendOptions): Promise<void>;
  /** Answer an RPC request (`replyTo` must be set). A handler's return value is also sent as the reply. */
  reply(data: unknown): Promise<void>;
  /** Ask to run again after `delayMs` (an attempt is counted). Never returns. */
  retry(options: { delayMs: number }): never;
}

/** The per-message context. A class so its methods live on the prototype: cheap to create. */
export class HandlerContext<T = unknown> implements Context<T> {
  readonly envelope: Envelope<T>;
  replied = false;
  readonly #runtime: Runtime;
  readonly #codecFor: ((name: string) => Codec | undefined) | undefined;
  #signal: AbortSignal | undefined;
  #logger: Logger | undefined;

  /** `codecFor`: the app's codec for a name (`App.codecFor`), which publishes and replies are written with. */
  constructor(
    envelope: Envelope<T>,
    runtime: Runtime,
    signal?: AbortSignal,
    codecFor?: (name: string) => Codec | undefined,
  ) {
    this.envelope = envelope;
    this.#runtime = runtime;
    this.#signal = signal;
    this.#codecFor = codecFor;
  }

  get attempt(): number {
    return this.envelope.attempt;
  }

  get signal(): AbortSignal {
    return this.#signal ?? this.#runtime.signal;
  }

  get logger(): Logger {
    this.#logger ??= this.#runtime.logger.child({
      messageId: this.envelope.id,
      messageName: this.envelope.name,
    });
    return this.#logger;
  }

  publish(name: string, data: unknown, options?: SendOptions): Promise<void> {
    return this.#send({ name, data, correlationId: this.#conversation() }, options);
  }

  forward(name: string, data: unknown, options?: SendOptions): Promise<void> {
    return this.#send(
      { name, data, parentId: this.envelope.id, correlationId: this.#conversation() },
      options,
    );
  }

  reply(data: unknown): Promise<void> {
    const to = this.envelope.replyTo;
    if (!to) throw new ConfigError(`message ${this.envelope.id} has no replyTo; there is nobody to reply to`);
    this.replied = true;
    const message: Outgoing = {
      name: `${this.envelope.name}_reply`,
      data,
      to,
      reply: true,
      parentId: this.envelope.id,
      correlationId: this.envelope.correlationId ?? this.envelope.id,
    };
    // A reply is written as its handler writes: with the codec chosen for the request's name.
    const codec = this.#codecFor?.(this.envelope.name);
    if (codec) message.codec = codec;
    return this.#send(message);
  }

  retry(options: { delayMs: number }): never {
    throw new RetryLater(options.delayMs);
  }

  #conversation(): string {
    return this.envelope.correlationId ?? this.envelope.id;
  }

  #send(message: Outgoing, options?: SendOptions): Promise<void> {
    const headers: Record<string, string> = { ...options?.headers };
    // The span this message runs in when tracing runs, else the incoming trace context as it
    // came: either way the trace follows the message (the publisher's producer span continues it).
    carryTraceContext(this.envelope, message, headers);
    if (options?.to) message.to = options.to;
    if (options?.groupId) message.groupId = options.groupId;
    if (options?.priority !== undefined) message.priority = options.priority;
    if (options?.codec) message.codec = options.codec;
    else if (!message.codec) {
      const codec = this.#codecFor?.(message.name);
      if (codec) message.codec = codec;
    }
    message.headers = headers;
    const publishOptions: PublishOptions | undefined =
      options?.at || options?.delayMs
        ? ({ at: options.at, delayMs: options.delayMs } as PublishOptions)
        : undefined;
    return this.#runtime.publisher().publish([message], publishOptions);
  }
}
