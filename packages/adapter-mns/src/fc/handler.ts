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
} from "@mailroom/core";
import { decodeEnvelope, dispatch } from "@mailroom/core/transport";
import { decodeBody, type ReceiveEncoding } from "../client/body.ts";
import { MnsClient } from "../client/client.ts";
import { MnsPublisher } from "../publisher.ts";
import { CREDENTIAL_ENV } from "../transport.ts";
import { attemptBase } from "../wire.ts";
import { FcDelivery, type FcDeliveryContext } from "./delivery.ts";
import { type FcMessage, readFcEvent } from "./events.ts";

/** The parts of FC's `context` the handler reads. */
export interface FcContext {
  requestId?: string;
  /** FC passes the function role's temporary credentials here. */
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  region?: string;
  accountId?: string;
  function?: { name?: string; timeout?: number };
}

/** Options of `toAliyunFC`. */
export interface ToAliyunFCOptions {
  /**
   * Dead-letter queue. Default: `<trigger queue>-dlq` for the queue trigger. Topic triggers have
   * no queue: without this option their dead letters throw, so FC retries and then hands the
   * event to the async destination on failure.
   */
  deadLetterQueue?: string;
  /**
   * Queue `ctx.publish` sends to by default. Default: the trigger's queue. With the queue
   * trigger's "RawData" push format (no CloudEvent, so no queue name) it also names the trigger's
   * queue, for dead letters (`<queue>-dlq`), re-delays and `retryMode: "resend"`.
   */
  queue?: string;
  /**
   * MNS endpoint for dead letters, re-delays and publishes. Default:
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
  /** Encodes dead letters, re-delays and publishes. Default `jsonCodec({ embedMeta: true })`. */
  encodeCodec?: Codec;
  /** How bodies are read: `auto` (default: base64 when the body is base64, else text), `base64` or `text`. */
  receiveEncoding?: ReceiveEncoding;
  /** Handlers running at once for a batch. Default: the whole batch. */
  concurrency?: number;
  /**
   * `throw` (default): a retry fails the event and FC's retry policy re-runs all of it.
   * `resend` (queue trigger only): a retry re-sends that one message to the trigger's queue with
   * its delay and attempt count, and the event succeeds, so the batch's other messages do not
   * run again and `maxAttempts` is counted by Mailroom.
   */
  retryMode?: "throw" | "resend";
}

/** What the handler returns when every message was acked, dead-lettered or re-delayed. */
export interface FcResult {
  acked: number;
  deadLettered: number;
  /** Re-sent to the queue: not due yet (`not-before`), or retried in `resend` mode. */
  deferred: number;
}

/** Thrown when any message of the event must be retried: FC's retry policy then applies to the event. */
export class FcRetryError extends MailroomError {
  readonly failed: number;
  constructor(failed: number, total: number, first: string) {
    super(
      "fc_retry",
      `${failed} of ${total} messages failed and are left to FC's retry policy (the whole event is retried: make handlers idempotent); first: ${first}`,
    );
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
 * CloudEvents, one or a batch, with or without the trigger's base64 decoding) and the MNS topic
 * trigger (JSON or STREAM format). Ack returns; retry, release and errors throw so FC's retry
 * policy (and async destination on failure) applies; dead letters go to the dead-letter queue.
 * No MNS client is created unless a handler publishes or a message is dead-lettered / re-delayed.
 *
 * @example
 * export const handler = toAliyunFC(app);
 */
export function toAliyunFC(app: App, options: ToAliyunFCOptions = {}): AliyunFcHandler {
  const codec = options.codec ?? jsonCodec({ embedMeta: true });
  const encodeCodec = options.encodeCodec ?? jsonCodec({ embedMeta: true });
  const clients = new Map<string, { key: string; client: MnsClient }>();

  return async (event, context = {}, callback) => {
    try {
      const result = await run(event, context);
      callback?.(null, result);
      return result;
    } catch (error) {
      if (callback) {
        callback(error as Error);
        return { acked: 0, deadLettered: 0, deferred: 0 };
      }
      throw error;
    }
  };

  async function run(event: Buffer | string, context: FcContext): Promise<FcResult> {
    // RawData events do not name their queue: the `queue` option does.
    const messages = readFcEvent(event).map((m) =>
      m.kind === "queue" && m.source === undefined && options.queue ? { ...m, source: options.queue } : m,
    );
    const client = (m: FcMessage | undefined) => clientFor(m, context);
    const ctx: FcDeliveryContext = {
      client,
      deadLetterQueue: (m) =>
        options.deadLetterQueue ?? (m.kind === "queue" && m.source ? `${m.source}-dlq` : undefined),
      encodeCodec,
      retryMode: options.retryMode ?? "throw",
    };
    const deliveries = messages.map((m) => new FcDelivery(ctx, m, decode(m)));
    const first = messages[0];
    const timeout = context.function?.timeout;
    const results = await dispatch(app, deliveries, {
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(timeout ? { signal: AbortSignal.timeout(Math.max(1000, timeout * 1000 - 1000)) } : {}),
      publisher: () => {
        const queue = options.queue ?? (first?.kind === "queue" ? first.source : undefined);
        if (!queue) throw new ConfigError("toAliyunFC: set the `queue` option so handlers can publish");
        return new MnsPublisher({ client: client(first), queue, encodeCodec, defaultPriority: undefined });
      },
    });
    const failed = results.filter((r, i) => {
      const settled = deliveries[i]!.settlement;
      return (
        r.settleError !== undefined ||
        r.outcome.kind === "skipped" ||
        settled === "retry" ||
        settled === "release"
      );
    });
    if (failed.length > 0) {
      const f = failed[0]!;
      const why =
        f.settleError !== undefined
          ? describeError(f.settleError)
          : f.outcome.kind === "retry"
            ? describeError(f.outcome.error)
            : f.outcome.kind;
      throw new FcRetryError(failed.length, results.length, why);
    }
    const count = (s: string) => deliveries.filter((d) => d.settlement === s).length;
    return {
      acked: count("ack"),
      deadLettered: count("deadLetter"),
      deferred: count("deferred") + count("resent"),
    };
  }

  function decode(m: FcMessage): Envelope | DecodeFailure {
    const { bytes } = decodeBody(m.body, options.receiveEncoding ?? "auto");
    const transport = { kind: "mns", queue: m.source ?? "", raw: m.raw };
    const meta = { id: m.messageId, publishedAt: m.publishedAt, headers: {} };
    const decoded = decodeEnvelope(codec, bytes, meta, { attempt: 1, transport });
    return isDecodeFailure(decoded) ? decoded : { ...decoded, attempt: attemptBase(decoded.headers) + 1 };
  }

  function clientFor(m: FcMessage | undefined, context: FcContext): MnsClient {
    const accountId = options.accountId ?? m?.accountId ?? context.accountId;
    const region = m?.region ?? context.region ?? process.env.FC_REGION;
    const endpoint =
      options.endpoint ??
      (accountId && region ? `http://${accountId}.mns.${region}-internal.aliyuncs.com` : undefined);
    if (!endpoint || !accountId) {
      throw new ConfigError("toAliyunFC needs `endpoint` and `accountId` to reach MNS for this message");
    }
    const env = process.env;
    const creds = context.credentials ?? {};
    const accessKeyId = options.accessKeyId ?? creds.accessKeyId ?? env[CREDENTIAL_ENV.accessKeyId];
    const accessKeySecret =
      options.accessKeySecret ?? creds.accessKeySecret ?? env[CREDENTIAL_ENV.accessKeySecret];
    const securityToken = options.securityToken ?? creds.securityToken ?? env[CREDENTIAL_ENV.securityToken];
    if (!accessKeyId || !accessKeySecret) {
      throw new ConfigError(
        "toAliyunFC has no credentials: give the function a role (FC passes context.credentials), or set accessKeyId / accessKeySecret",
      );
    }
    // One client per endpoint, replaced when FC hands over rotated role credentials.
    const key = `${accessKeyId}\n${securityToken ?? ""}`;
    const cached = clients.get(endpoint);
    if (cached && cached.key === key) return cached.client;
    const c = new MnsClient({ accountId, endpoint, accessKeyId, accessKeySecret, securityToken });
    clients.set(endpoint, { key, client: c });
    return c;
  }
}
