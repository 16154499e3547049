import type { Codec } from "./codec/codec.ts";
import { adaptSchema, nameOf } from "./codec/handler-schema.ts";
import type { HandlerDefinition } from "./definition.ts";
import { type Envelope, MESSAGE_NAME } from "./envelope.ts";
import { ConfigError } from "./errors.ts";
import { defaultLogger, type Logger } from "./logger.ts";
import type { Middleware } from "./middleware/middleware.ts";
import { type RetryOptions, type RetryPolicy, retryPolicy } from "./retry.ts";
import type { Context } from "./runtime/context.ts";
import {
  type HandlerSchema,
  type InferData,
  type NamedSchema,
  type StandardSchemaV1,
  schemaName,
} from "./schema.ts";

/** Options of one handler. */
export interface HandlerOptions<S extends HandlerSchema | undefined = undefined> {
  /**
   * Standard Schema (zod 4, valibot, arktype, …), or a schema of the handler's codec's format (a
   * protobuf message type, with `codec: protobufCodec()`): `data` is read into it. A failure
   * dead-letters at once with the issues.
   */
  schema?: S;
  /**
   * How this app writes messages of this name (`ctx.publish`, and this handler's replies), over
   * the app's `codec`; its schema kinds are accepted (see `schema`). Receiving needs no codec:
   * every transport reads JSON, CloudEvents and protobuf messages whatever its own.
   */
  codec?: Codec;
  /** Retry policy over the app's (default: 5 attempts, 1 s → 5 min full-jitter backoff). */
  retry?: RetryOptions;
  /** Abort `ctx.signal` and fail the run (retried by policy) after this long, ms. Default: the app's, else none. */
  timeoutMs?: number;
  /** Middleware around this handler only, inside the app's. */
  middleware?: Middleware[];
  /**
   * Other names producers send for this message (`order.created`, `OrderCreated`): a message
   * under any of them runs this handler. Any non-empty text; each name still has one handler.
   */
  aliases?: readonly string[];
}

/** A message handler: return to ack, throw to retry, throw `PermanentError` to dead-letter. */
export type Handler<T> = (data: T, ctx: Context<T>) => unknown;

/** One item of a batch handler's input. */
export interface BatchItem<T> {
  readonly data: T;
  readonly envelope: Envelope<T>;
  /** This message's own context: `ctx.forward` keeps its lineage, `ctx.logger` names it. */
  readonly ctx: Context<T>;
}

/**
 * A failed item of a batch: the item itself, its position in the items array, or its envelope
 * id (every item with that id). The error is classified like a thrown one.
 */
export type BatchItemFailure =
  | { item: BatchItem<unknown>; error: unknown }
  | { index: number; error: unknown }
  | { id: string; error: unknown };

/**
 * A batch handler: receives many messages of one name. Return nothing to ack all, return the
 * failures to settle those alone, throw to fail every item.
 */
export type BatchHandler<T> = (items: BatchItem<T>[], ctx: BatchContext) => unknown;

/** Context of a batch handler run. */
export interface BatchContext {
  /** Aborted on the handler's timeout or shutdown. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  publish(name: string, data: unknown): Promise<void>;
}

/** Options of a batch handler. */
export interface BatchOptions<S extends HandlerSchema | undefined = undefined> extends HandlerOptions<S> {
  /** Most messages per call. Default 10. */
  maxSize?: number;
  /** Longest wait for a batch to fill in the Worker, ms. Default 100. */
  maxWaitMs?: number;
}

/** A registered handler with everything resolved. */
export interface Registration {
  readonly name: string;
  readonly mode: "single" | "batch";
  /** The handler's schema as a Standard Schema (a codec's schema kind already adapted). */
  readonly schema: StandardSchemaV1 | undefined;
  /** The handler's own codec (option `codec`), if any. */
  readonly codec: Codec | undefined;
  /** The codec the app writes messages named `name` with: that handler's, else the app's (see `App.codecFor`). */
  readonly codecFor: (name: string) => Codec | undefined;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly middleware: readonly Middleware[];
  readonly fn: Handler<unknown> | BatchHandler<unknown>;
  readonly maxSize: number;
  readonly maxWaitMs: number;
  /** Where it was registered (file:line), for duplicate errors. */
  readonly source: string;
}

/** What to do with a message no handler is registered for. */
export type UnknownMessagePolicy = "deadLetter" | "ack";

/** Options of `createApp`. */
export interface AppOptions {
  /** Service name, used in logs and metrics. */
  name: string;
  /** Default `pino` at `MAILROOM_LOG_LEVEL` (info) to stderr. */
  logger?: Logger;
  /** Retry policy for every handler that does not set its own. */
  retry?: RetryOptions;
  /** Default handler timeout, ms. Default none. */
  timeoutMs?: number;
  /** Middleware around every handler (outermost first). */
  middleware?: Middleware[];
  /** Messages with no handler: `deadLetter` (default, reason `unknown_message_name`) or `ack` (drop). */
  unknownMessages?: UnknownMessagePolicy;
  /** Which names handlers may be registered under, and producers' names for them. */
  names?: NameOptions;
  /**
   * How `ctx.publish`, `ctx.forward` and replies write messages, unless their name's handler has
   * a `codec` of its own or the call gives one: e.g. `cloudEventsCodec({ source: "/orders" })`.
   * Default: the transport's codec (JSON `{ name, data }`).
   */
  codec?: Codec;
  /**
   * OpenTelemetry tracing of this app's messages. Default true: when an OpenTelemetry SDK has
   * registered a tracer provider, every handler run is a CONSUMER span `<name> process` that
   * continues the message's `traceparent`, and what the handlers publish gets PRODUCER spans;
   * without an SDK nothing is loaded or made. `false` turns the spans off for this app (handlers'
   * publishes still carry the incoming `traceparent` on).
   */
  tracing?: boolean;
}

/** How an app names its messages. */
export interface NameOptions {
  /**
   * Names handlers may be registered under. Default `MESSAGE_NAME` (lowercase letters, digits and
   * underscores: `order_created`); `RELAXED_MESSAGE_NAME` also takes upper case, dots, dashes,
   * colons and slashes (`Order.Created`, `orders/created`), as other producers name messages.
   */
  pattern?: RegExp;
  /** A producer's name → the handler's name where they differ: `{ "order.created": "order_created" }`. */
  aliases?: Readonly<Record<string, string>>;
}

/**
 * A set of handlers keyed by message name. Runs unchanged under a Worker, a cloud-function
 * adapter, `mailroom local`, or the test kit.
 *
 * @example
 * const app = createApp({ name: "orders" });
 * app.handle("order_created", { schema: OrderCreated }, async (order, ctx) => {
 *   await ctx.publish("invoice_requested", { orderId: order.id });
 * });
 */
export class App {
  readonly name: string;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly middleware: Middleware[];
  readonly unknownMessages: UnknownMessagePolicy;
  /** The app's codec (`createApp({ codec })`), if any. */
  readonly codec: Codec | undefined;
  /** Whether the runtime traces this app's runs when an OpenTelemetry SDK is registered (`createApp({ tracing })`). */
  readonly tracing: boolean;
  /** Every accepted name — handler names and their aliases — to its registration. */
  readonly #handlers = new Map<string, Registration>();
  #unknown: Registration | undefined;
  readonly #namePattern: RegExp;
  /** The app's aliases by the handler name they point to, applied when that handler registers. */
  readonly #appAliases = new Map<string, string[]>();
  #batchHandlers = 0;
  /** `codecFor`, bound once: every registration carries it for its context's publishes. */
  readonly #codecFor = (name: string): Codec | undefined => this.codecFor(name);

  constructor(options: AppOptions) {
    if (!options?.name) throw new ConfigError('createApp needs a name, e.g. createApp({ name: "orders" })');
    this.name = options.name;
    this.logger = options.logger ?? defaultLogger(options.name);
    this.retry = retryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs;
    this.middleware = [...(options.middleware ?? [])];
    this.unknownMessages = options.unknownMessages ?? "deadLetter";
    this.codec = options.codec;
    this.tracing = options.tracing ?? true;
    this.#namePattern = options.names?.pattern ?? MESSAGE_NAME;
    for (const [alias, target] of Object.entries(options.names?.aliases ?? {})) {
      const list = this.#appAliases.get(target) ?? [];
      list.push(alias);
      this.#appAliases.set(target, list);
    }
  }

  /**
   * Register the handler for `name`. Registering a name twice throws, naming both places. Without
   * a name, the schema names the messages: a protobuf message type's full name (`typeName`),
   * accepted whatever `names.pattern` says.
   *
   * @example
   * app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, (order) => order.id); // "acme.orders.v1.OrderCreated"
   */
  handle<S extends HandlerSchema | undefined = undefined>(
    name: string,
    options: HandlerOptions<S>,
    fn: Handler<InferData<S>>,
  ): this;
  handle(name: string, fn: Handler<unknown>): this;
  handle<S extends HandlerSchema & NamedSchema>(
    options: HandlerOptions<S> & { schema: S },
    fn: Handler<InferData<S>>,
  ): this;
  handle(
    first: string | HandlerOptions<HandlerSchema | undefined>,
    a: HandlerOptions<HandlerSchema | undefined> | Handler<unknown> | Handler<never>,
    b?: Handler<never>,
  ): this {
    if (typeof first !== "string")
      return this.#register(nameOf(first), "single", first, a as Handler<unknown>, {});
    const [options, fn] = typeof a === "function" ? [{}, a] : [a, b];
    return this.#register(first, "single", options, fn as Handler<unknown>, {});
  }

  /** Register a batch handler for `name`: it receives up to `maxSize` messages at once. */
  handleBatch<S extends HandlerSchema | undefined = undefined>(
    name: string,
    options: BatchOptions<S>,
    fn: BatchHandler<InferData<S>>,
  ): this {
    return this.#register(name, "batch", options, fn as BatchHandler<unknown>, options);
  }

  /** Register a handler made by `defineHandler` / `defineBatchHandler`; duplicates name the defining files. */
  register(definition: HandlerDefinition): this {
    const fn = definition.fn as Handler<unknown> | BatchHandler<unknown>;
    return this.#register(
      definition.name,
      definition.mode,
      definition.options,
      fn,
      definition.options,
      definition.source,
    );
  }

  /** Add app-wide middleware (outermost first). */
  use(...middleware: Middleware[]): this {
    this.middleware.push(...middleware);
    return this;
  }

  /**
   * The codec the app writes messages named `name` with: the handler's `codec` for that name (or
   * alias), else the app's; undefined leaves it to the transport. `ctx.publish` and the test kit ask.
   */
  codecFor(name: string): Codec | undefined {
    return this.#handlers.get(name)?.codec ?? this.codec;
  }

  /** The registration for `name`: its handler (or the handler it is an alias of), else the `handleUnknown` one, if any. */
  lookup(name: string): Registration | undefined {
    return this.#handlers.get(name) ?? this.#unknown;
  }

  /**
   * Register the handler for every message whose name has no handler of its own — a router's
   * default route, for bridges and catch-all consumers. It replaces `unknownMessages`. Its
   * registration is named `*`; the envelope carries the name as sent.
   *
   * @example
   * app.handleUnknown({}, async (data, ctx) => forward(ctx.envelope));
   */
  handleUnknown(options: HandlerOptions<undefined>, fn: Handler<unknown>): this {
    if (typeof fn !== "function") throw new ConfigError("the handler for unknown names is not a function");
    const source = callSite();
    if (this.#unknown) {
      throw new ConfigError(
        `a handler for unknown names is already registered at ${this.#unknown.source}; the second registration is at ${source}`,
      );
    }
    this.#unknown = {
      name: "*",
      mode: "single",
      schema: undefined,
      codec: options.codec,
      codecFor: this.#codecFor,
      retry: retryPolicy(options.retry, this.retry),
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      middleware: options.middleware ?? [],
      fn,
      maxSize: 1,
      maxWaitMs: 0,
      source,
    };
    return this;
  }

  /** True when any handler is a batch handler (runtimes skip batching work otherwise). */
  get hasBatchHandlers(): boolean {
    return this.#batchHandlers > 0;
  }

  /** Every name this app handles: handler names and their aliases (brokers bind by these). */
  names(): string[] {
    return [...this.#handlers.keys()];
  }

  /** The handlers' own names, one per handler. */
  handlerNames(): string[] {
    return [...this.#handlers].filter(([key, reg]) => key === reg.name).map(([key]) => key);
  }

  #register(
    name: string,
    mode: "single" | "batch",
    options: HandlerOptions<HandlerSchema | undefined>,
    fn: Handler<unknown> | BatchHandler<unknown> | undefined,
    batch: { maxSize?: number; maxWaitMs?: number },
    source: string = callSite(),
  ): this {
    // A name taken from a type is the type's own full name: the app's pattern is for names people write.
    if (name !== schemaName(options.schema) && !this.#namePattern.test(name)) {
      throw new ConfigError(
        this.#namePattern === MESSAGE_NAME
          ? `invalid message name "${name}": use lowercase letters, digits and underscores, starting with a letter (e.g. order_created), or accept producers' names with the handler option aliases or createApp({ names })`
          : `invalid message name "${name}": it does not match the app's names.pattern ${this.#namePattern}`,
      );
    }
    if (typeof fn !== "function") throw new ConfigError(`handler for "${name}" is not a function`);
    const accepted = [name, ...(options.aliases ?? []), ...(this.#appAliases.get(name) ?? [])];
    for (const key of accepted) {
      if (typeof key !== "string" || key.length === 0 || key.length > 255) {
        throw new ConfigError(`an alias of "${name}" must be a name of 1 to 255 characters`);
      }
      const existing = this.#handlers.get(key);
      if (existing) {
        throw new ConfigError(
          `a handler for "${key}" is already registered at ${existing.source}${existing.name === key ? "" : ` (as an alias of "${existing.name}")`}; the second registration is at ${source}. Each message name has exactly one handler.`,
        );
      }
    }
    const schema = adaptSchema(name, options.schema, options.codec ?? this.codec);
    if (mode === "batch") this.#batchHandlers++;
    const registration: Registration = {
      name,
      mode,
      schema,
      codec: options.codec,
      codecFor: this.#codecFor,
      retry: retryPolicy(options.retry, this.retry),
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      middleware: options.middleware ?? [],
      fn,
      maxSize: batch.maxSize ?? 10,
      maxWaitMs: batch.maxWaitMs ?? 100,
      source,
    };
    for (const key of accepted) this.#handlers.set(key, registration);
    return this;
  }
}

/** Create an app. See `App`. */
export function createApp(options: AppOptions): App {
  return new App(options);
}

/** The first stack frame outside Mailroom's own files: where a handler was registered or defined. */
export function callSite(): string {
  const lines = (new Error().stack ?? "").split("\n").slice(1);
  const self = lines[0]?.match(/\((.*):\d+:\d+\)$|at (.*):\d+:\d+$/);
  const selfFile = self?.[1] ?? self?.[2] ?? "";
  const dir = selfFile.slice(0, selfFile.lastIndexOf("/") + 1);
  const own = new Set(["app", "definition"].flatMap((f) => [`${dir}${f}.ts`, `${dir}${f}.js`]));
  for (const line of lines) {
    const m = line.match(/\((.*):(\d+):\d+\)$|at (.*):(\d+):\d+$/);
    if (!m) continue;
    const file = m[1] ?? m[3] ?? "";
    if (own.has(file)) continue;
    return `${file.replace(/^file:\/\//, "")}:${m[2] ?? m[4]}`;
  }
  return "unknown";
}
