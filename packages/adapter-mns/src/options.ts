import type { Codec, Logger } from "@mailroom/core";
import type { BodyEncoding, ReceiveEncoding } from "./client/body.ts";

/**
 * Options of the MNS transport. Every one can also be given in the URL's query (see the README);
 * options passed in code win over the URL, and the URL wins over the environment.
 */
export interface MnsTransportOptions {
  /** Alibaba Cloud account id. Default: the first label of an `<id>.mns.<region>.aliyuncs.com` host, or `?accountId=`. */
  accountId?: string;
  /** Full endpoint, e.g. `https://123.mns.cn-hangzhou.aliyuncs.com`. Default: from the URL. */
  endpoint?: string;
  /** Queue to consume and publish to. Default: the URL's path. */
  queue?: string;
  /** Dead-letter queue. Default `<queue>-dlq` (`?dlq=`). */
  deadLetterQueue?: string;
  /** AccessKey id. Default: env `ALIBABA_CLOUD_ACCESS_KEY_ID`. Never logged. */
  accessKeyId?: string;
  /** AccessKey secret. Default: env `ALIBABA_CLOUD_ACCESS_KEY_SECRET`. Never logged. */
  accessKeySecret?: string;
  /** STS token. Default: env `ALIBABA_CLOUD_SECURITY_TOKEN`. Never logged. */
  securityToken?: string;
  /** Renews STS credentials (the SDK calls it at most every 5 minutes). */
  refreshSTSToken?: () => Promise<{ accessKeyId: string; accessKeySecret: string; securityToken: string }>;
  /** Long-poll wait per receive, seconds, 0–30. Default 20 (`?wait=20s`). */
  waitSeconds?: number;
  /**
   * The queue's visibility timeout, ms (the Worker heartbeats `extend` at half of it). Default:
   * read from the queue at open (one GetQueueAttributes), 30 s if that fails (`?visibility=30s`).
   * With `createQueues` the queue is created with it.
   */
  visibilityTimeoutMs?: number;
  /** Create the queue and its dead-letter queue when missing (`?create=true`). Default false. */
  createQueues?: boolean;
  /** With `createQueues`: set MNS's own DlqPolicy to the dead-letter queue after this many receives (`?maxReceiveCount=`). */
  maxReceiveCount?: number;
  /** How bodies are written: `base64` (default) or `text` (`?encoding=`). */
  bodyEncoding?: BodyEncoding;
  /** How received bodies are read: `auto` (default), `base64` or `text` (`?receiveEncoding=`). */
  receiveEncoding?: ReceiveEncoding;
  /** Largest stored body in bytes (after base64). Default 65,536. */
  maxMessageBytes?: number;
  /** Decodes received bodies. Default `jsonCodec({ embedMeta: true })`. */
  codec?: Codec;
  /**
   * Encodes published, re-published and dead-lettered bodies. Must carry metadata in the body,
   * since MNS has no message attributes. Default `jsonCodec({ embedMeta: true })`.
   */
  encodeCodec?: Codec;
  /** Acks wait at most this long (ms) to be coalesced into one BatchDeleteMessage of up to 16. Default 10. */
  ackFlushMs?: number;
  /** Default priority of published messages, 1 (first) to 16; MNS's default is 8. */
  priority?: number;
  /** For warnings (never given credentials). */
  logger?: Logger;
}
