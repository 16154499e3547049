import { ConfigError, parseDuration } from "@mailroom/core";

/** What an `sqs://` URL says. Every field may also be given as an option of `openTransport`. */
export interface SqsUrl {
  region: string;
  /** Queue name (`orders`, `orders.fifo`), when the URL names one. */
  queueName?: string;
  /** Full queue URL, when the URL gives an account (or a queue URL host). */
  queueUrl?: string;
  /** `?endpoint=`: SQS endpoint override (emulators, LocalStack, VPC endpoints). */
  endpoint?: string;
  /** `?dlq=`: dead-letter queue name or URL (else discovered from the RedrivePolicy). */
  deadLetterQueue?: string;
  /** `?wait=`: long-poll seconds, 0–20. */
  waitTimeSeconds?: number;
  /** `?visibility=`: VisibilityTimeout asked on each receive (duration, e.g. `30s`). */
  visibilityTimeoutMs?: number;
  /** `?flush=`: how long acks wait to be coalesced into one DeleteMessageBatch (duration). */
  ackFlushMs?: number;
  /** `?ack=queued|confirmed`: whether `ack()` waits for SQS's answer to the DeleteMessageBatch. Default queued. */
  ack?: "queued" | "confirmed";
  /** `?group=`: MessageGroupId for FIFO messages published without `groupId`. */
  defaultGroupId?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const QUEUE_HOST = /^sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;

/**
 * Parse `sqs://<region>/<queue>`, `sqs://<region>/<account>/<queue>` or
 * `sqs://sqs.<region>.amazonaws.com/<account>/<queue>` with query options
 * `endpoint`, `dlq`, `wait`, `visibility`, `flush`, `ack`, `group`. Credentials are refused: they come
 * from the AWS SDK's default provider chain, never from a URL.
 */
export function parseSqsUrl(input: string | URL): SqsUrl {
  const url = typeof input === "string" ? new URL(input) : input;
  if (url.protocol !== "sqs:") throw new ConfigError(`expected an sqs:// URL, got "${url.protocol}//…"`);
  if (url.username || url.password) {
    throw new ConfigError(
      "sqs:// URLs must not carry credentials; they come from the AWS SDK default chain (environment, profile, role)",
    );
  }
  const host = url.hostname;
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const out: SqsUrl = { region: "" };
  const queueHost = QUEUE_HOST.exec(host);
  if (queueHost) {
    out.region = queueHost[1]!;
    if (parts.length !== 2) throw new ConfigError(`expected sqs://${host}/<account>/<queue>`);
    out.queueUrl = `https://${host}/${parts[0]}/${parts[1]}`;
    out.queueName = parts[1];
  } else {
    if (!REGION.test(host)) {
      throw new ConfigError(
        `"${host}" is not an AWS region; use sqs://<region>/<queue>, e.g. sqs://us-east-1/orders`,
      );
    }
    out.region = host;
    if (parts.length === 1) out.queueName = parts[0];
    else if (parts.length === 2) {
      out.queueName = parts[1];
      out.queueUrl = `https://sqs.${host}.amazonaws.com/${parts[0]}/${parts[1]}`;
    } else throw new ConfigError("expected sqs://<region>/<queue> or sqs://<region>/<account>/<queue>");
  }
  const q = url.searchParams;
  const endpoint = q.get("endpoint");
  if (endpoint) {
    out.endpoint = endpoint.replace(/\/+$/, "");
    if (out.queueUrl) out.queueUrl = `${out.endpoint}/${parts.at(-2)}/${parts.at(-1)}`;
  }
  const dlq = q.get("dlq");
  if (dlq) out.deadLetterQueue = dlq;
  const wait = q.get("wait");
  if (wait !== null) {
    const s = Number(wait.replace(/s$/, ""));
    if (!Number.isInteger(s) || s < 0 || s > 20)
      throw new ConfigError(`?wait=${wait}: long-poll seconds must be 0–20`);
    out.waitTimeSeconds = s;
  }
  const vis = q.get("visibility");
  if (vis) out.visibilityTimeoutMs = parseDuration(vis);
  const flush = q.get("flush");
  if (flush) out.ackFlushMs = parseDuration(flush);
  const ack = q.get("ack");
  if (ack !== null) {
    if (ack !== "queued" && ack !== "confirmed")
      throw new ConfigError(`?ack=${ack}: use queued or confirmed`);
    out.ack = ack;
  }
  const group = q.get("group");
  if (group) out.defaultGroupId = group;
  const known = new Set(["endpoint", "dlq", "wait", "visibility", "flush", "ack", "group"]);
  for (const key of q.keys()) {
    if (!known.has(key))
      throw new ConfigError(`unknown sqs:// option "?${key}="; known: ${[...known].join(", ")}`);
  }
  return out;
}

/** The queue name at the end of a queue URL or ARN (`…/orders`, `arn:aws:sqs:…:orders`). */
export function queueNameOf(urlOrArn: string): string {
  const i = Math.max(urlOrArn.lastIndexOf("/"), urlOrArn.lastIndexOf(":"));
  return urlOrArn.slice(i + 1);
}
