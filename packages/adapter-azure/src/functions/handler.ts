import {
  type App,
  type Codec,
  ConfigError,
  type DecodeFailure,
  describeError,
  type Envelope,
  isDecodeFailure,
  jsonCodec,
  MailroomError,
  type Publisher,
} from "@mailroom/core";
import {
  attemptOf,
  type DispatchResult,
  decodeEnvelope,
  dispatch,
  runsCarried,
} from "@mailroom/core/transport";
import type { BodyEncoding } from "../body.ts";
import { resolveAccess, StorageQueues } from "../client.ts";
import type { CopyWriter } from "../copies.ts";
import { MAX_MESSAGE_BYTES, NEVER_EXPIRES } from "../limits.ts";
import { AzureQueuePublisher } from "../publisher.ts";
import { FunctionDelivery, type FunctionDeliveryContext } from "./delivery.ts";
import { type FunctionInvocation, type FunctionMessage, readInvocation } from "./events.ts";

/** Name of the output binding that carries Service Bus dead letters (added by `registerAzureFunctions`). */
export const POISON_OUTPUT = "mailroomPoison";

/** Options of `toAzureFunction`. */
export interface ToAzureFunctionOptions {
  /** Poison queue of a storage queue trigger. Default `<trigger queue>-poison`, where the host moves messages too. */
  poisonQueue?: string;
  /**
   * App setting (environment variable) with the storage connection string for dead letters,
   * copies and publishes. Default: the storage trigger's own `connection`, else `AzureWebJobsStorage`.
   */
  connection?: string;
  /** How copies, dead letters and publishes are written: `base64` (default, host.json `messageEncoding`) or `text`. */
  bodyEncoding?: BodyEncoding;
  /** Time-to-live of copies and publishes, ms; -1 (default) never expires. */
  messageTtlMs?: number;
  /** Decodes bodies. Default `jsonCodec({ embedMeta: true })`. */
  codec?: Codec;
  /** Encodes copies, dead letters and publishes. Default `jsonCodec({ embedMeta: true })`. */
  encodeCodec?: Codec;
  /** Where `ctx.publish` goes. Default, storage queue triggers: the trigger's queue; Service Bus triggers need one. */
  publisher?: () => Publisher;
  /** Handlers running at once for a Service Bus batch (`cardinality: "many"`). Default: the whole batch. */
  concurrency?: number;
}

/** What the handler returns when every message was finished. */
export interface AzureFunctionResult {
  acked: number;
  deadLettered: number;
  /** Re-sent to the queue without running: not due yet (`not-before`), or given back. */
  deferred: number;
}

/** The invocation fails so the host's retry applies: a message asked for a retry, or could not be settled. */
export class AzureFunctionRetryError extends MailroomError {
  /** Messages of the invocation left to the host. */
  readonly failed: number;
  constructor(message: string, failed: number, options?: ErrorOptions) {
    super("azure_function_retry", message, options);
    this.failed = failed;
  }
}

/** A Functions v4 handler: `(message or messages, context) => result`. */
export type AzureFunctionHandler = (
  entry: unknown,
  context: FunctionInvocation,
) => Promise<AzureFunctionResult>;

/**
 * Turn an app into an Azure Functions v4 handler for `app.storageQueue(…)`,
 * `app.serviceBusQueue(…)` and `app.serviceBusTopic(…)` (cardinality `one` or `many`); the trigger
 * is read from `context.options.trigger`. `attempt` = runs carried by a copy + the host's
 * `dequeueCount` / `deliveryCount`. Returning acks; a retry, or a message that could not be
 * settled, throws an `AzureFunctionRetryError` so the host's own retry applies (with `many`, the
 * whole batch: the host settles batches as one). Dead letters go to the poison queue with their
 * reason and return (see `FunctionDelivery`). No storage client is created unless a message is
 * copied or dead-lettered or a handler publishes.
 *
 * @example
 * import { app } from "@azure/functions";
 * app.storageQueue("orders", { queueName: "orders", connection: "AzureWebJobsStorage", handler: toAzureFunction(orders) });
 */
export function toAzureFunction(app: App, options: ToAzureFunctionOptions = {}): AzureFunctionHandler {
  const codec = options.codec ?? jsonCodec({ embedMeta: true });
  const encodeCodec = options.encodeCodec ?? jsonCodec({ embedMeta: true });
  const accounts = new Map<string, StorageQueues>();
  const ttl = options.messageTtlMs ?? NEVER_EXPIRES;
  const ttlSeconds = ttl === NEVER_EXPIRES ? NEVER_EXPIRES : Math.max(1, Math.ceil(ttl / 1000));

  const writer = (connection: string): CopyWriter => {
    let queues = accounts.get(connection);
    if (!queues) {
      queues = new StorageQueues(resolveAccess({ connectionEnv: connection }));
      accounts.set(connection, queues);
    }
    return {
      queues,
      encodeCodec,
      bodyEncoding: options.bodyEncoding ?? "base64",
      ttlSeconds,
      maxMessageBytes: MAX_MESSAGE_BYTES,
    };
  };

  return async (entry, context) => {
    const messages = readInvocation(entry, context);
    const trigger = context.options.trigger;
    const storageQueue = trigger.type === "queueTrigger" ? messages[0]?.source : undefined;
    const connection =
      options.connection ??
      (storageQueue && typeof trigger.connection === "string" ? trigger.connection : "AzureWebJobsStorage");
    const poisonOutput = context.options.extraOutputs?.find((o) => o.name === POISON_OUTPUT);
    const poisonBodies: string[] = [];
    const ctx: FunctionDeliveryContext = {
      storage: () => writer(connection),
      poisonQueue: options.poisonQueue ?? `${storageQueue ?? messages[0]?.source}-poison`,
      serviceBusPoison: poisonOutput ? (body) => void poisonBodies.push(body) : undefined,
      encodeCodec,
    };
    const deliveries = messages.map((m) => new FunctionDelivery(ctx, m, decode(m)));
    const results = await dispatch(app, deliveries, {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      publisher: () => {
        if (options.publisher) return options.publisher();
        if (!storageQueue) {
          throw new ConfigError(
            "toAzureFunction: a Service Bus trigger has no queue to publish to; pass the `publisher` option",
          );
        }
        return new AzureQueuePublisher({ ...writer(connection), queue: storageQueue });
      },
    });
    // Written by the host only when the invocation returns, like every output binding.
    if (poisonOutput && poisonBodies.length > 0) context.extraOutputs.set(poisonOutput, poisonBodies);
    return answer(results, deliveries);
  };

  function decode(m: FunctionMessage): Envelope | DecodeFailure {
    const transport = {
      kind: m.kind === "storageQueue" ? "azure-queue" : "azure-servicebus",
      queue: m.source,
      raw: m.raw,
    };
    const meta = {
      ...m.meta,
      id: m.meta.id ?? m.messageId,
      publishedAt: m.meta.publishedAt ?? m.publishedAt,
    };
    const decoded = decodeEnvelope(codec, m.body, meta, { attempt: m.receiveCount, transport });
    if (isDecodeFailure(decoded)) return decoded;
    return {
      ...decoded,
      attempt: attemptOf({
        runsBefore: runsCarried(decoded.headers),
        receiveCount: m.receiveCount,
        counts: "runs",
      }),
    };
  }
}

/** The result, or an `AzureFunctionRetryError` when a message is left to the host's retry or was not settled. */
function answer(results: DispatchResult[], deliveries: FunctionDelivery[]): AzureFunctionResult {
  const total = results.length;
  const unsettled = results.filter((r) => r.settleError !== undefined);
  if (unsettled.length > 0) {
    throw new AzureFunctionRetryError(
      `${unsettled.length} of ${total} messages could not be settled, so the invocation fails and the host retries it; first: ${describeError(unsettled[0]!.settleError)}`,
      unsettled.length,
      { cause: unsettled[0]!.settleError },
    );
  }
  const left = results.filter(
    (r, i) => r.outcome.kind === "skipped" || ["retry", "release"].includes(deliveries[i]!.settlement ?? ""),
  );
  if (left.length > 0) {
    const f = left[0]!;
    const why = f.outcome.kind === "retry" ? describeError(f.outcome.error) : f.outcome.kind;
    throw new AzureFunctionRetryError(
      `${left.length} of ${total} messages are left to the host's retry; first: ${why}`,
      left.length,
    );
  }
  const count = (kind: string) => deliveries.filter((d) => d.settlement === kind).length;
  return { acked: count("ack"), deadLettered: count("deadLetter"), deferred: count("deferred") };
}
