import type { HandlerDefinition } from "./definition.ts";
import { type Envelope, MESSAGE_NAME } from "./envelope.ts";
import { ConfigError } from "./errors.ts";
import { defaultLogger, type Logger } from "./logger.ts";
import type { Middleware } from "./middleware/middleware.ts";
import { type RetryOptions, type RetryPolicy, retryPolicy } from "./retry.ts";
import type { Context } from "./runtime/context.ts";
import type { InferData, StandardSchemaV1 } from "./schema.ts";

/** Options of one handler. */
export interface HandlerOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Standard Schema (zod 4, valibot, arktype, …). A failure dead-letters at once with the issues. */
  schema?: S;
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
export interface BatchOptions<S extends StandardSchemaV1 | undefined = undefined> extends HandlerOptions<S> {
  /** Most messages per call. Default 10. */
  maxSize?: number;
  /** Longest wait for a batch to fill in the Worker, ms. Default 100. */
  maxWaitMs?: number;
}

/** A registered handler with everything resolved. */
export interface Registration {
  readonly name: string;
  readonly mode: "single" | "batch";
  readonly schema: StandardSchemaV1 | undefined;
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
  /** Every accepted name — handler names and their aliases — to its registration. */
  readonly #handlers = new Map<string, Registration>();
  #unknown: Registration | undefined;
  readonly #namePattern: RegExp;
  /** The app's aliases by the handler name they point to, applied when that handler registers. */
  readonly #appAliases = new Map<string, string[]>();
  #batchHandlers = 0;

  constructor(options: AppOptions) {
    if (!options?.name) throw new ConfigError('createApp needs a name, e.g. createApp({ name: "orders" })');
    this.name = options.name;
    this.logger = options.logger ?? defaultLogger(options.name);
    this.retry = retryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs;
    this.middleware = [...(options.middleware ?? [])];
    this.unknownMessages = options.unknownMessages ?? "deadLetter";
    this.#namePattern = options.names?.pattern ?? MESSAGE_NAME;
    for (const [alias, target] of Object.entries(options.names?.aliases ?? {})) {
      const list = this.#appAliases.get(target) ?? [];
      list.push(alias);
      this.#appAliases.set(target, list);
    }
  }

  /** Register the handler for `name`. Registering a name twice throws, naming both places. */
  handle<S extends StandardSchemaV1 | undefined = undefined>(
    name: string,
    options: HandlerOptions<S>,
    fn: Handler<InferData<S>>,
  ): this;
  handle(name: string, fn: Handler<unknown>): this;
  handle(
    name: string,
    a: HandlerOptions<StandardSchemaV1 | undefined> | Handler<unknown>,
    b?: Handler<never>,
  ): this {
    const [options, fn] = typeof a === "function" ? [{}, a] : [a, b];
    return this.#register(name, "single", options, fn as Handler<unknown>, {});
  }

  /** Register a batch handler for `name`: it receives up to `maxSize` messages at once. */
  handleBatch<S extends StandardSchemaV1 | undefined = undefined>(
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
    options: HandlerOptions<StandardSchemaV1 | undefined>,
    fn: Handler<unknown> | BatchHandler<unknown> | undefined,
    batch: { maxSize?: number; maxWaitMs?: number },
    source: string = callSite(),
  ): this {
    if (!this.#namePattern.test(name)) {
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
    if (mode === "batch") this.#batchHandlers++;
    const registration: Registration = {
      name,
      mode,
      schema: options.schema,
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
