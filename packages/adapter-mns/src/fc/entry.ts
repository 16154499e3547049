/**
 * The Function Compute entry: `import { toAliyunFC } from "@mailroom/adapter-mns/fc"`. It loads
 * neither the MNS SDK nor the long-poll worker at cold start; the client is made on first need.
 */

export type { FcContext } from "./clients.ts";
export {
  type FcMessage,
  type FcTriggerKind,
  type MnsQueueCloudEvent,
  type MnsTopicNotification,
  readFcEvent,
} from "./events.ts";
export {
  type AliyunFcHandler,
  type FcResult,
  FcRetryError,
  type ToAliyunFCOptions,
  toAliyunFC,
} from "./handler.ts";
