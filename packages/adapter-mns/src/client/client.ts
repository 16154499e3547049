import { type BodyEncoding, encodeBody, escapeText, type ReceiveEncoding, storedSize } from "./body.ts";
import { errorForCode, MnsError, MnsMessageTooLargeError, MnsNetworkError, mnsError } from "./errors.ts";
import {
  asArray,
  type QueueInfo,
  type QueueSettings,
  queueParams,
  type ReceivedMessage,
  type RequestCounts,
  type SendEntry,
  toReceived,
} from "./records.ts";
import { createSdkClient, type SdkClient, type SdkRecord } from "./sdk.ts";

export type { QueueInfo, QueueSettings, ReceivedMessage, RequestCounts, SendEntry } from "./records.ts";

/** Where and as whom to reach MNS. */
export interface MnsClientOptions {
  /** Alibaba Cloud account id (the first label of the endpoint host). */
  accountId: string;
  /** `https://<accountId>.mns.<region>.aliyuncs.com`, or `http://127.0.0.1:<port>` for the test server. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token, sent as `security-token`. */
  securityToken?: string | undefined;
  /** Called (at most every 5 minutes, by the SDK) to renew STS credentials. */
  refreshSTSToken?:
    | (() => Promise<{ accessKeyId: string; accessKeySecret: string; securityToken: string }>)
    | undefined;
  /** How bodies are written. Default `base64`. */
  bodyEncoding?: BodyEncoding;
  /** How received bodies are read. Default `auto`. */
  receiveEncoding?: ReceiveEncoding;
  /** Largest stored body in bytes (after encoding). Default 65,536, MNS's limit. */
  maxMessageBytes?: number;
  /**
   * How long a request may take to connect, ms. Default 10,000. Long polls get their wait plus
   * 10 s instead: the SDK's HTTP layer (httpx) applies this value as the socket's idle timeout,
   * which would otherwise end every long poll longer than it with a "ConnectTimeout".
   */
  connectTimeoutMs?: number;
}

/**
 * A small typed client over `@alicloud/mns` 1.2.0 that fixes its gaps: bodies are base64-encoded
 * (the SDK writes them into the XML unescaped), receipt handles are URL-encoded (the SDK puts
 * them in the query string raw), errors are typed `MnsError`s (the SDK only names them), an
 * empty long poll is `[]` (the SDK throws `MNSMessageNotExistError`), and receives can be
 * aborted (the SDK offers no signal). Every request is counted in `requests`.
 */
export class MnsClient {
  readonly accountId: string;
  readonly endpoint: string;
  readonly requests: RequestCounts = { total: 0, byOperation: {} };
  readonly #sdk: SdkClient;
  readonly #encoding: BodyEncoding;
  readonly #receiveEncoding: ReceiveEncoding;
  readonly #maxBytes: number;

  constructor(options: MnsClientOptions) {
    this.accountId = options.accountId;
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.#encoding = options.bodyEncoding ?? "base64";
    this.#receiveEncoding = options.receiveEncoding ?? "auto";
    this.#maxBytes = options.maxMessageBytes ?? 65_536;
    this.#sdk = createSdkClient(options.accountId, {
      endpoint: this.endpoint,
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      securityToken: options.securityToken,
      refreshSTSToken: options.refreshSTSToken,
      readTimeout: 40_000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
    });
  }

  /** CreateQueue; resolves `"exists"` when the queue is already there (whatever its attributes). */
  async createQueue(name: string, settings: QueueSettings = {}): Promise<"created" | "exists"> {
    try {
      const r = await this.#call("CreateQueue", () => this.#sdk.createQueue(name, queueParams(settings)));
      return r.code === 201 ? "created" : "exists";
    } catch (error) {
      if (error instanceof MnsError && error.mnsCode === "QueueAlreadyExist") return "exists";
      throw error;
    }
  }

  /** SetQueueAttributes (only the settings given change). */
  async setQueueAttributes(name: string, settings: QueueSettings): Promise<void> {
    await this.#call("SetQueueAttributes", () => this.#sdk.setQueueAttributes(name, queueParams(settings)));
  }

  async getQueueAttributes(name: string): Promise<QueueInfo> {
    const r = await this.#call("GetQueueAttributes", () => this.#sdk.getQueueAttributes(name));
    const n = (k: string) => Number(r.body[k] ?? 0);
    return {
      name: String(r.body.QueueName ?? name),
      visibilityTimeoutSeconds: n("VisibilityTimeout"),
      delaySeconds: n("DelaySeconds"),
      maximumMessageSize: n("MaximumMessageSize"),
      activeMessages: n("ActiveMessages"),
      inactiveMessages: n("InactiveMessages"),
      delayMessages: n("DelayMessages"),
    };
  }

  async deleteQueue(name: string): Promise<void> {
    await this.#call("DeleteQueue", () => this.#sdk.deleteQueue(name));
  }

  /** SendMessage of one body. */
  async sendMessage(queue: string, entry: SendEntry): Promise<{ messageId: string }> {
    const params = this.#messageParams(entry);
    const r = await this.#call("SendMessage", () => this.#sdk.sendMessage(queue, params));
    return { messageId: String(r.body.MessageId) };
  }

  /**
   * BatchSendMessage of up to 16 bodies. Resolves per entry, in order: `{ messageId }` or
   * `{ error }` (MNS accepts the others when some fail). Oversized bodies throw before sending.
   */
  async batchSendMessage(
    queue: string,
    entries: SendEntry[],
  ): Promise<Array<{ messageId: string } | { error: MnsError }>> {
    if (entries.length === 0) return [];
    if (entries.length > 16)
      throw new RangeError(`BatchSendMessage takes at most 16 messages, got ${entries.length}`);
    const params = entries.map((e) => this.#messageParams(e));
    const r = await this.#call("BatchSendMessage", () => this.#sdk.batchSendMessage(queue, params));
    const items = asArray(r.body);
    return entries.map((_, i) => {
      const item = items[i];
      if (item && typeof item.MessageId === "string") return { messageId: item.MessageId };
      const code = typeof item?.ErrorCode === "string" ? item.ErrorCode : "UnknownError";
      const message =
        typeof item?.ErrorMessage === "string" ? item.ErrorMessage : "no result for this message";
      return {
        error: errorForCode(
          code,
          `MNS BatchSendMessage failed for this message: ${code}: ${message}`,
          r.code,
        ),
      };
    });
  }

  /**
   * BatchReceiveMessage: up to `max` (1–16) messages, waiting up to `waitSeconds` (0–30) for the
   * first. An empty queue resolves `[]`. When `signal` aborts, the HTTP request is aborted and
   * the call resolves `[]` at once.
   */
  async batchReceiveMessage(
    queue: string,
    max: number,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<ReceivedMessage[]> {
    if (signal?.aborted) return [];
    const n = Math.min(16, Math.max(1, Math.floor(max)));
    const wait = Math.min(30, Math.max(0, Math.floor(waitSeconds)));
    const resource = `/queues/${queue}/messages?numOfMessages=${n}${wait > 0 ? `&waitseconds=${wait}` : ""}`;
    // httpx uses connectTimeout as the socket's idle timeout too: it must outlast the wait.
    const timeouts = { readTimeout: (wait + 10) * 1000, connectTimeout: (wait + 10) * 1000 };
    const opts = signal
      ? { beforeRequest: (o: Record<string, unknown>) => ({ ...o, signal }), ...timeouts }
      : timeouts;
    let body: SdkRecord | undefined;
    try {
      body = (await this.#call("BatchReceiveMessage", () => this.#sdk.get(resource, "Messages", opts))).body;
    } catch (error) {
      if (signal?.aborted) return [];
      if (error instanceof MnsError && error.mnsCode === "MessageNotExist") return [];
      throw error;
    }
    return asArray(body?.Message).map((m) => toReceived(m, this.#receiveEncoding));
  }

  /** BatchPeekMessage: visible messages without receiving them (no handle, no count). */
  async batchPeekMessage(queue: string, max: number): Promise<Omit<ReceivedMessage, "receiptHandle">[]> {
    try {
      const r = await this.#call("BatchPeekMessage", () =>
        this.#sdk.batchPeekMessage(queue, Math.min(16, max)),
      );
      return asArray(r.body).map((m) => toReceived(m, this.#receiveEncoding));
    } catch (error) {
      if (error instanceof MnsError && error.mnsCode === "MessageNotExist") return [];
      throw error;
    }
  }

  /** DeleteMessage by receipt handle. */
  async deleteMessage(queue: string, receiptHandle: string): Promise<void> {
    await this.#call("DeleteMessage", () =>
      this.#sdk.deleteMessage(queue, encodeURIComponent(receiptHandle)),
    );
  }

  /**
   * BatchDeleteMessage of up to 16 handles. Resolves the handles that failed, with their error;
   * an empty map means all were deleted.
   */
  async batchDeleteMessage(queue: string, receiptHandles: string[]): Promise<Map<string, MnsError>> {
    const failed = new Map<string, MnsError>();
    if (receiptHandles.length === 0) return failed;
    const escaped = receiptHandles.map(escapeText);
    const r = await this.#call("BatchDeleteMessage", () => this.#sdk.batchDeleteMessage(queue, escaped));
    for (const e of asArray(r.body)) {
      const handle = String(e.ReceiptHandle ?? "");
      const code = String(e.ErrorCode ?? "UnknownError");
      failed.set(
        handle,
        errorForCode(
          code,
          `MNS BatchDeleteMessage failed for this handle: ${code}: ${String(e.ErrorMessage ?? "")}`,
          r.code,
        ),
      );
    }
    return failed;
  }

  /**
   * ChangeMessageVisibility to `seconds` (1–43,200). Resolves the NEW receipt handle: the old
   * one is dead from now on.
   */
  async changeMessageVisibility(
    queue: string,
    receiptHandle: string,
    seconds: number,
  ): Promise<{ receiptHandle: string; nextVisibleTime: number }> {
    const s = Math.min(43_200, Math.max(1, Math.ceil(seconds)));
    const r = await this.#call("ChangeMessageVisibility", () =>
      this.#sdk.changeMessageVisibility(queue, encodeURIComponent(receiptHandle), s),
    );
    return { receiptHandle: String(r.body.ReceiptHandle), nextVisibleTime: Number(r.body.NextVisibleTime) };
  }

  /** Stored size of a body with this client's encoding (or `encoding`), to check against `maxMessageBytes`. */
  storedSize(body: Uint8Array, encoding: BodyEncoding = this.#encoding): number {
    return storedSize(body, encoding);
  }

  /** The largest stored body this client sends. */
  get maxMessageBytes(): number {
    return this.#maxBytes;
  }

  #messageParams(entry: SendEntry): Record<string, unknown> {
    const encoding = entry.encoding ?? this.#encoding;
    const size = storedSize(entry.body, encoding);
    if (size > this.#maxBytes) throw new MnsMessageTooLargeError(size, this.#maxBytes);
    const params: Record<string, unknown> = { MessageBody: encodeBody(entry.body, encoding) };
    if (entry.delaySeconds !== undefined && entry.delaySeconds > 0) {
      params.DelaySeconds = Math.min(604_800, Math.ceil(entry.delaySeconds));
    }
    if (entry.priority !== undefined) params.Priority = entry.priority;
    return params;
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.requests.total++;
    this.requests.byOperation[operation] = (this.requests.byOperation[operation] ?? 0) + 1;
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      throw mnsError(error, operation);
    }
    // The SDK returns (does not throw) an error answer that is not MNS XML, e.g. a proxy's 502.
    const r = result as { code?: unknown; body?: unknown };
    if (typeof r.code === "number" && r.code >= 400 && r.body === undefined) {
      throw new MnsNetworkError(
        `HTTP${r.code}`,
        `MNS ${operation} answered HTTP ${r.code} without an MNS error document; check the endpoint (a proxy or load balancer answered)`,
        r.code,
      );
    }
    return result;
  }
}
