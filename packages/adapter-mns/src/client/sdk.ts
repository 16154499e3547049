import { createRequire } from "node:module";

/** The parts of `@alicloud/mns` 1.2.0's `Client` that the adapter uses (it ships no types). */
export interface SdkResponse<T> {
  code: number;
  headers: Record<string, string | undefined>;
  body: T;
}

/** Fields as the SDK returns them: every value a string (nested elements become arrays of records). */
export type SdkRecord = Record<string, string | unknown>;

/** Request options the SDK passes through to `httpx.request`. */
export interface SdkRequestOptions {
  headers?: Record<string, string>;
  readTimeout?: number;
  /** httpx: connect timeout, and also the socket's idle timeout while the request is open. */
  connectTimeout?: number;
  /** httpx hook: receives the `http.request` options and returns them (used to add an AbortSignal). */
  beforeRequest?: (options: Record<string, unknown>) => Record<string, unknown>;
}

export interface SdkClient {
  createQueue(name: string, params?: Record<string, unknown>): Promise<SdkResponse<undefined>>;
  deleteQueue(name: string): Promise<SdkResponse<undefined>>;
  getQueueAttributes(name: string): Promise<SdkResponse<SdkRecord>>;
  setQueueAttributes(name: string, params: Record<string, unknown>): Promise<SdkResponse<undefined>>;
  sendMessage(queue: string, params: Record<string, unknown>): Promise<SdkResponse<SdkRecord>>;
  batchSendMessage(queue: string, params: Record<string, unknown>[]): Promise<SdkResponse<SdkRecord[]>>;
  batchPeekMessage(queue: string, n: number): Promise<SdkResponse<SdkRecord[]>>;
  deleteMessage(queue: string, receiptHandle: string): Promise<SdkResponse<undefined>>;
  batchDeleteMessage(queue: string, handles: string[]): Promise<SdkResponse<SdkRecord[] | undefined>>;
  changeMessageVisibility(
    queue: string,
    receiptHandle: string,
    seconds: number,
  ): Promise<SdkResponse<SdkRecord>>;
  /** The SDK's signed request, used directly where its methods lack an option (abortable receive). */
  get(resource: string, type: string, opts?: SdkRequestOptions): Promise<SdkResponse<SdkRecord | undefined>>;
}

/** Options of the SDK's constructor. */
export interface SdkOptions {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
  refreshSTSToken?:
    | (() => Promise<{ accessKeyId: string; accessKeySecret: string; securityToken: string }>)
    | undefined;
  readTimeout?: number;
  connectTimeout?: number;
}

type SdkConstructor = new (accountId: string, options: SdkOptions) => SdkClient;

let Client: SdkConstructor | undefined;
let warned = false;

/** Construct the official SDK's client (loaded on first use, so push functions that never publish load nothing). */
export function createSdkClient(accountId: string, options: SdkOptions): SdkClient {
  Client ??= createRequire(import.meta.url)("@alicloud/mns") as SdkConstructor;
  if (!warned && options.securityToken && debugPrintsHeaders(process.env.DEBUG)) {
    warned = true;
    process.emitWarning(
      "DEBUG enables mns:client or httpx:header, which print every MNS request's headers including the STS security-token; do not use these namespaces in production",
      { code: "MAILROOM_MNS_DEBUG_CREDENTIALS" },
    );
  }
  return new Client(accountId, options);
}

/** Whether a DEBUG value turns on the SDK's or httpx's header logging. */
export function debugPrintsHeaders(value: string | undefined): boolean {
  if (!value) return false;
  const on = (name: string) =>
    value
      .split(/[\s,]+/)
      .some((p) => p !== "" && !p.startsWith("-") && new RegExp(`^${p.replace(/\*/g, ".*?")}$`).test(name)) &&
    !value
      .split(/[\s,]+/)
      .some((p) => p.startsWith("-") && new RegExp(`^${p.slice(1).replace(/\*/g, ".*?")}$`).test(name));
  return on("mns:client") || on("httpx:header");
}
