import { TransportError } from "@mailroom/core/push";

/**
 * An error answered by MNS (or the network on the way). `code` is the MNS error code
 * (`QueueNotExist`, `ReceiptHandleError`, …) or `NetworkError`; the message says what to do.
 * The SDK only puts the code in `err.name` (`MNSQueueNotExistError`); `mnsError` maps it here.
 */
export class MnsError extends TransportError {
  /** MNS error code, e.g. `ReceiptHandleError`; `NetworkError` when no answer came. */
  readonly mnsCode: string;
  /** HTTP status when MNS answered. */
  readonly status: number | undefined;
  /** MNS request id, for support tickets. */
  readonly requestId: string | undefined;
  constructor(mnsCode: string, message: string, status?: number, requestId?: string, options?: ErrorOptions) {
    super(message, options);
    this.mnsCode = mnsCode;
    this.status = status;
    this.requestId = requestId;
  }
}

/** The queue does not exist: create it (or its dead-letter queue), or fix the name in the transport URL. */
export class MnsQueueNotExistError extends MnsError {}

/** The receipt handle is not (or no longer) valid: the visibility timeout passed, or a newer handle replaced it. */
export class MnsReceiptHandleError extends MnsError {}

/** The request was refused for its credentials: signature, AccessKey id, STS token, clock skew or permissions. */
export class MnsAuthError extends MnsError {}

/** An argument was out of range (delay, visibility, priority, batch size, body size) or the XML was malformed. */
export class MnsInvalidArgumentError extends MnsError {}

/** No answer from MNS: connection refused, reset or timed out. */
export class MnsNetworkError extends MnsError {}

/** A message is larger than MNS accepts (64 KB after base64 encoding by default). Nothing was sent. */
export class MnsMessageTooLargeError extends MnsInvalidArgumentError {
  constructor(bytes: number, limit: number) {
    super(
      "MessageTooLarge",
      `a message body is ${bytes} bytes once encoded, over the MNS limit of ${limit} bytes; keep the data smaller (base64 adds a third), store it elsewhere and send a reference, or use bodyEncoding "text"`,
    );
  }
}

const AUTH = new Set([
  "SignatureDoesNotMatch",
  "InvalidAccessKeyId",
  "AccessDenied",
  "TimeExpired",
  "MissingAuthorizationHeader",
  "InvalidAuthorizationHeader",
  "SecurityTokenExpired",
  "InvalidSecurityToken",
]);
const ARGUMENT = new Set([
  "InvalidArgument",
  "MalformedXML",
  "InvalidQueueName",
  "MessageTooLarge",
  "InvalidDigest",
]);

/** Build the typed error for an MNS error code. */
export function errorForCode(
  code: string,
  message: string,
  status?: number,
  requestId?: string,
  cause?: unknown,
): MnsError {
  const options = cause === undefined ? undefined : { cause };
  if (code === "QueueNotExist") return new MnsQueueNotExistError(code, message, status, requestId, options);
  if (code === "ReceiptHandleError")
    return new MnsReceiptHandleError(code, message, status, requestId, options);
  if (AUTH.has(code)) return new MnsAuthError(code, message, status, requestId, options);
  if (ARGUMENT.has(code)) return new MnsInvalidArgumentError(code, message, status, requestId, options);
  return new MnsError(code, message, status, requestId, options);
}

/**
 * Map an error thrown by `@alicloud/mns` to a typed `MnsError`. The SDK names errors
 * `MNS<Code>Error` and writes `… failed with <status>. requestid: <id>, hostid: …, message: <m>`.
 */
export function mnsError(error: unknown, operation: string): MnsError {
  if (error instanceof MnsError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  const m = /^MNS(.+)Error$/.exec(e.name);
  if (m) {
    const code = m[1]!;
    const status = /failed with (\d{3})/.exec(e.message)?.[1];
    const requestId = /requestid: ([^,\s]+)/.exec(e.message)?.[1];
    const said = /message: (.*)$/s.exec(e.message)?.[1] ?? e.message;
    return errorForCode(
      code,
      `MNS ${operation} failed: ${code}: ${said}`,
      status ? Number(status) : undefined,
      requestId,
      e,
    );
  }
  return new MnsNetworkError(
    "NetworkError",
    `MNS ${operation} got no answer (${e.name}: ${e.message.replace(/\s+/g, " ").slice(0, 200)}); check the endpoint and the network`,
    undefined,
    undefined,
    { cause: e },
  );
}
