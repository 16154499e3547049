export { AzureQueueAdmin } from "./admin.ts";
export {
  AzureMessageTooLargeError,
  type BodyEncoding,
  decodeBody,
  encodeBody,
  type ReceiveEncoding,
} from "./body.ts";
export { type AccessInput, resolveAccess, type StorageAccess, StorageQueues } from "./client.ts";
export { AzureQueueDelivery } from "./delivery.ts";
export { AzureQueueError, CREDENTIAL_ENV } from "./errors.ts";
export * from "./functions/index.ts";
export {
  DEV_ACCOUNT,
  MAX_MESSAGE_BYTES,
  MAX_RECEIVE_BATCH,
  MAX_VISIBILITY_S,
  NEVER_EXPIRES,
} from "./limits.ts";
export type { AzureQueueTransportOptions } from "./options.ts";
export { PollPacer, type PollPacing } from "./polling.ts";
export { AzurePublishError, AzureQueuePublisher } from "./publisher.ts";
export { AzureQueueSource } from "./source.ts";
export { AzureQueueTransport, openTransport } from "./transport.ts";
export { type ParsedAzureUrl, parseAzureUrl } from "./url.ts";
