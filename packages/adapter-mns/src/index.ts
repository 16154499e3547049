export { Acker } from "./acker.ts";
export { MnsAdmin } from "./admin.ts";
export type { BodyEncoding, ReceiveEncoding } from "./client/body.ts";
export {
  MnsClient,
  type MnsClientOptions,
  type QueueInfo,
  type QueueSettings,
  type ReceivedMessage,
  type RequestCounts,
  type SendEntry,
} from "./client/client.ts";
export {
  MnsAuthError,
  MnsError,
  MnsInvalidArgumentError,
  MnsMessageTooLargeError,
  MnsNetworkError,
  MnsQueueNotExistError,
  MnsReceiptHandleError,
  mnsError,
} from "./client/errors.ts";
export { MnsDelivery } from "./delivery.ts";
export { FcDelivery, type FcDeliveryContext, type FcSettlement } from "./fc/delivery.ts";
export {
  type FcMessage,
  type FcTriggerKind,
  type MnsQueueCloudEvent,
  type MnsTopicNotification,
  readFcEvent,
} from "./fc/events.ts";
export {
  type AliyunFcHandler,
  type FcContext,
  type FcResult,
  FcRetryError,
  type ToAliyunFCOptions,
  toAliyunFC,
} from "./fc/handler.ts";
export { MAX_DELAY_S, MAX_VISIBILITY_S } from "./limits.ts";
export type { MnsTransportOptions } from "./options.ts";
export { MnsPublishError, MnsPublisher } from "./publisher.ts";
export { MnsSource } from "./source.ts";
export { CREDENTIAL_ENV, MnsTransport, openTransport } from "./transport.ts";
export { type ParsedMnsUrl, parseMnsUrl } from "./url.ts";
