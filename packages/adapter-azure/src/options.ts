import type { Codec, Logger } from "@mailroom/core";
import type { BodyEncoding, ReceiveEncoding } from "./body.ts";

/**
 * Options of the Azure Storage Queue transport. Every one that has a query parameter can also be
 * given in the URL (see the README); options passed in code win over the URL, and the URL wins
 * over the environment.
 */
export interface AzureQueueTransportOptions {
  /** Queue to consume and publish to. Default: the URL's path. */
  queue?: string;
  /** Dead-letter queue. Default `<queue>-poison`, the name the Azure Functions host uses (`?poison=`). */
  poisonQueue?: string;
  /** Storage account name. Default: from the URL. */
  account?: string;
  /** Queue service endpoint, e.g. `https://acct.queue.core.windows.net`. Default: from the URL or the connection string. */
  endpoint?: string;
  /** A storage connection string (`DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…` or `UseDevelopmentStorage=true`). Never logged. */
  connectionString?: string;
  /** Account key (shared key). Default: the URL's password, else env `AZURE_STORAGE_KEY`. Never logged. */
  accountKey?: string;
  /** A SAS token (`sv=…&sig=…`) for the account or queues. Default: env `AZURE_STORAGE_SAS_TOKEN`. Never logged. */
  sasToken?: string;
  /** How bodies are written: `base64` (default, what the Functions host reads) or `text` (`?encoding=`). */
  bodyEncoding?: BodyEncoding;
  /** How received bodies are read: `auto` (default), `base64` or `text` (`?receiveEncoding=`). */
  receiveEncoding?: ReceiveEncoding;
  /** How long a received message stays invisible, ms, whole seconds (`?visibility=30s`). Default 30 s; the Worker heartbeats at half of it. */
  visibilityTimeoutMs?: number;
  /**
   * Time-to-live of published messages and re-sent copies, ms, whole seconds (`?ttl=7d`); `-1`
   * (`?ttl=never`) never expires. Default: never (Storage's own default of 7 days would drop a
   * message waiting through a long delay). Dead letters never expire.
   */
  messageTtlMs?: number;
  /** Longest a receive keeps polling an empty queue before it answers `[]`, ms (`?wait=20s`). Default 20 s. */
  waitMs?: number;
  /** First pause after an empty receive, ms (`?minPoll=100ms`); it doubles on each empty one. Default 100. */
  minPollMs?: number;
  /** Longest pause between polls of an idle queue, ms, like the Functions host's `maxPollingInterval` (`?maxPoll=5s`). Default 5 s. */
  maxPollMs?: number;
  /** Create the queue and its poison queue when missing (`?create=true`). Default false. */
  createQueues?: boolean;
  /** Largest message text stored, bytes (after base64). Default 65,536, the Storage Queue limit. */
  maxMessageBytes?: number;
  /** Decodes received bodies. Default `jsonCodec({ embedMeta: true })`. */
  codec?: Codec;
  /** Encodes published, re-sent and dead-lettered bodies; must carry metadata in the body (Storage Queues have no attributes). Default `jsonCodec({ embedMeta: true })`. */
  encodeCodec?: Codec;
  /** For warnings (never given credentials). */
  logger?: Logger;
}
