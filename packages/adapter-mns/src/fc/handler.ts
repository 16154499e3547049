import type { App, Outgoing, Publisher, PublishOptions } from "@mailroom/core";
// The narrow door: a cold start loads push dispatch and decoding, not all of core.
import {
  attemptOf,
  type Codec,
  ConfigError,
  type DecodeFailure,
  type DispatchResult,
  decodeEnvelope,
  describeError,
  dispatch,
  type Envelope,
  isDecodeFailure,
  jsonCodec,
  logsPending,
  logsWritten,
  MailroomError,
  runsCarried,
  silentLogger,
} from "@mailroom/core/push";
import { decodeBody, type ReceiveEncoding } from "../client/body.ts";
import type { MnsClient } from "../client/client.ts";
import { FcClients, type FcContext } from "./clients.ts";
import { FcDelivery, type FcDeliveryContext } from "./delivery.ts";
import { type FcMessage, readFcEvent } from "./events.ts";
import { type FcDone, FcMemory } from "./memory.ts";

export type { FcContext } from "./clients.ts";

/** Options of `toAliyunFC`. */
export interface ToAliyunFCOptions {
  /**
   * Dead-letter queue. Default: `<trigger queue>-dlq` for the queue trigger. Topic triggers have
   * no queue: without this option their dead letters fail the event (FC retries it, then hands
   * it to the async destination on failure).
   */
  deadLetterQueue?: string;
  /**
   * Queue `ctx.publish` sends to by default. Default: the trigger's queue. With the queue
   * trigger's "RawData" push format (no CloudEvent, so no queue name) it also names the trigger's
   * queue, for dead letters (`<queue>-dlq`) and copies. For topic triggers it is where a message
   * not due yet (`not-before`) is re-sent; without it such a message fails the event.
   */
  queue?: string;
  /**
   * MNS endpoint for copies and publishes. Default:
   * `http://<accountId>.mns.<region>-internal.aliyuncs.com` from the CloudEvent / FC context.
   */
  endpoint?: string;
  /** Account id for the endpoint. Default: from the event or FC context. */
  accountId?: string;
  /** Credentials. Default: FC's `context.credentials`, then the `ALIBABA_CLOUD_*` environment. */
  accessKeyId?: string;
  accessKeySecret?: string;
  securityToken?: string;
  /** Decodes bodies. Default `jsonCodec({ embedMeta: true })`. */
  codec?: Codec;
  /** Encodes copies, dead letters and publishes. Default `jsonCodec({ embedMeta: true })`. */
  encodeCodec?: Codec;
  /** How bodies are read: `auto` (default: base64 when the body is base64, else text), `base64` or `text`. */
  receiveEncoding?: ReceiveEncoding;
  /** Handlers running at once for a batch. Default: the whole batch. */
  concurrency?: number;
  /**
   * `resend` (default): a queue-trigger retry re-sends that one message to the trigger's queue
   * with its delay and the runs so far, and the event succeeds: `attempt`, the retry delay and
   * `maxAttempts` work as on every transport. `throw`: a retry fails the event and FC's retry
   * policy re-runs it. Topic-trigger retries always fail the event (there is no queue).
   */
  retryMode?: "throw" | "resend";
  /**
   * How many finished message ids this handler instance remembers, so that a re-run of an event
   * neither runs nor copies again what an earlier run finished. Default 50,000; 0 turns it off.
   */
  rememberSettled?: number;
}

/** What the handler returns when every message was finished. */
export interface FcResult {
  acked: number;
  deadLettered: number;
  /** Re-sent to the queue: not due yet (`not-before`), retried or released in `resend` mode. */
  deferred: number;
  /** Finished by an earlier run of this event on this instance: reported done, not run or copied again. */
  repeated: number;
}

/** The event failed: some messages are left to FC's retry policy, or could not be settled. */
export class FcRetryError extends MailroomError {
  /** Messages of the event not finished. */
  readonly failed: number;
  constructor(message: string, failed: number) {
    super("fc_retry", message);
    this.failed = failed;
  }
}

/** An FC event handler (FC 3.0 `(event, context)`; a callback, if FC 2.0 passes one, is called too). */
export type AliyunFcHandler = (
  event: Buffer | string,
  context?: FcContext,
  callback?: (error: Error | null, result?: FcResult) => void,
) => Promise<FcResult>;

/**
 * Turn an app into an Aliyun Function Compute handler for the MNS queue trigger (EventBridge
 * CloudEvents, one or a batch, or RawData) and the MNS topic trigger (JSON or STREAM format).
 * Queue trigger, by default: every outcome is finished inside the invocation — retries,
 * releases and re-delays are copies re-sent to the trigger's queue, dead letters go to the
 * dead-letter queue — and the event fails only when one of those sends failed. Messages an
 * earlier run finished are remembered per instance, so FC re-running the event does not run or
 * copy them again. Topic trigger: retries are FC's notify strategy (the event fails). No MNS
 * client is created unless a message is copied or a handler publishes.
 *
 * @example
 * export const handler = toAliyunFC(app);
 */
export function toAliyunFC(app: App, options: ToAliyunFCOptions = {}): AliyunFcHandler {
  const codec = options.codec ?? jsonCodec({ embedMeta: true });
  const encodeCodec = options.encodeCodec ?? jsonCodec({ embedMeta: true });
  const clients = new FcClients(options);
  const memory = new FcMemory(options.rememberSettled ?? 50_000);
  const logger = app.logger ?? silentLogger;

  return async (event, context = {}, callback) => {
    try {
      const result = await run(event, context);
      callback?.(null, result);
      return result;
    } catch (error) {
      if (callback) {
        callback(error as Error);
        return { acked: 0, deadLettered: 0, deferred: 0, repeated: 0 };
      }
      throw error;
    }
  };

  async function run(event: Buffer | string, context: FcContext): Promise<FcResult> {
    // RawData events do not name their queue: the `queue` option does.
    const messages = readFcEvent(event).map((m) =>
      m.kind === "queue" && m.source === undefined && options.queue ? { ...m, source: options.queue } : m,
    );
    const ctx: FcDeliveryContext = {
      client: (m) => clients.for(m, context),
      deadLetterQueue: (m) =>
        options.deadLetterQueue ?? (m.kind === "queue" && m.source ? `${m.source}-dlq` : undefined),
      deferQueue: options.queue,
      encodeCodec,
      retryMode: options.retryMode ?? "resend",
      memory,
    };
    const deliveries: FcDelivery[] = [];
    const repeated: FcDone[] = [];
    for (const m of messages) {
      const key = memory.keyOf(m);
      const done = memory.done(key);
      if (done === undefined) deliveries.push(new FcDelivery(ctx, m, decode(m, key), key));
      else repeated.push(done);
    }
    if (repeated.length > 0) {
      logger.info(
        { repeated: repeated.length, total: messages.length, requestId: context.requestId },
        "messages an earlier run of this event finished are not run or copied again",
      );
    }
    const first = messages[0];
    const timeout = context.function?.timeout;
    const results = await dispatch(app, deliveries, {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(timeout ? { signal: AbortSignal.timeout(Math.max(1000, timeout * 1000 - 1000)) } : {}),
      publisher: () => {
        const queue = options.queue ?? (first?.kind === "queue" ? first.source : undefined);
        if (!queue) throw new ConfigError("toAliyunFC: set the `queue` option so handlers can publish");
        return lazyPublisher(clients.for(first, context), queue, encodeCodec);
      },
    });
    // The default logger loads pino on its first line: lines must be out before FC freezes us.
    if (logsPending()) await logsWritten();
    return answer(results, deliveries, repeated);
  }

  /** `attempt` = runs carried by the copy + runs of it this instance saw fail + 1 (FC pushes carry no receive count). */
  function decode(m: FcMessage, key: string | undefined): Envelope | DecodeFailure {
    const body = receivedBody(m.body, options.receiveEncoding ?? "auto");
    const runsSeen = memory.runsSeen(key);
    const transport = { kind: "mns", queue: m.source ?? "", raw: m.raw };
    const meta = { id: m.messageId, publishedAt: m.publishedAt, headers: {} };
    const decoded = decodeEnvelope(codec, body, meta, { attempt: runsSeen + 1, transport });
    if (isDecodeFailure(decoded)) return decoded;
    const runsBefore = runsCarried(decoded.headers);
    // No runs carried (the common case): the attempt given above is already attemptOf's answer.
    if (runsBefore === 0) return decoded;
    return { ...decoded, attempt: attemptOf({ runsBefore, receiveCount: 1, counts: "receives", runsSeen }) };
  }
}

/** The FC answer: the counts, or an `FcRetryError` when a message is left to FC or was not settled. */
function answer(results: DispatchResult[], deliveries: FcDelivery[], repeated: FcDone[]): FcResult {
  const total = results.length + repeated.length;
  const unsettled = results.filter((r) => r.settleError !== undefined);
  const left = results.filter((r, i) => {
    const s = deliveries[i]!.settlement;
    return r.settleError === undefined && (r.outcome.kind === "skipped" || s === "retry" || s === "release");
  });
  const failed = unsettled.length + left.length;
  if (unsettled.length > 0) {
    throw new FcRetryError(
      `${unsettled.length} of ${total} messages could not be settled, so the event fails and FC re-runs it (this instance does not run or copy again the ${total - failed} it finished); first: ${describeError(unsettled[0]!.settleError)}`,
      failed,
    );
  }
  if (left.length > 0) {
    const f = left[0]!;
    const why = f.outcome.kind === "retry" ? describeError(f.outcome.error) : f.outcome.kind;
    throw new FcRetryError(
      `${left.length} of ${total} messages failed and are left to FC's retry policy, which re-runs the event (this instance does not run or copy again the ${total - failed} it finished); first: ${why}`,
      failed,
    );
  }
  const count = (...kinds: FcDone[]) =>
    deliveries.filter((d) => kinds.includes(d.settlement as FcDone)).length;
  return {
    acked: count("ack"),
    deadLettered: count("deadLetter"),
    deferred: count("deferred", "resent"),
    repeated: repeated.length,
  };
}

/** A publisher whose module loads on the first publish (a cold start that publishes nothing skips it). */
function lazyPublisher(client: MnsClient, queue: string, encodeCodec: Codec): Publisher {
  let inner: Promise<Publisher> | undefined;
  const get = () => {
    inner ??= import("../publisher.ts").then(
      ({ MnsPublisher }) => new MnsPublisher({ client, queue, encodeCodec, defaultPriority: undefined }),
    );
    return inner;
  };
  return {
    async publish(messages: Outgoing[], opts?: PublishOptions) {
      await (await get()).publish(messages, opts);
    },
    async close() {},
  };
}

/** First characters of a base64 body; a JSON body (`{`, `[`, `"`) never starts with one. */
const BASE64_START = /^[A-Za-z0-9+/]/;

/**
 * A pushed body as the codec reads it: the text itself when it is not base64 (no round trip
 * through bytes), else the decoded bytes, by the same rule as the pull path's `decodeBody`.
 */
function receivedBody(text: string, encoding: ReceiveEncoding): Uint8Array | string {
  if (encoding === "text" || (encoding === "auto" && !BASE64_START.test(text))) return text;
  const decoded = decodeBody(text, encoding);
  return decoded.encoding === "base64" ? decoded.bytes : text;
}
