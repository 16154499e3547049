import type { ToAliyunFCOptions } from "@mailroom/adapter-mns";

/**
 * `toAliyunFC` options from the function's environment variables, so one artefact serves every
 * deployment:
 *
 * | variable | option | default |
 * |---|---|---|
 * | `MAILROOM_DLQ` | `deadLetterQueue` | `<trigger queue>-dlq` (topic triggers: none) |
 * | `MAILROOM_QUEUE` | `queue` (publishes; RawData events; topic messages not due yet) | the trigger's queue |
 * | `MAILROOM_MNS_ENDPOINT` | `endpoint` | `http://<account>.mns.<region>-internal.aliyuncs.com` |
 * | `MAILROOM_RETRY_MODE` | `retryMode`: `resend` or `throw` | `resend` |
 * | `MAILROOM_CONCURRENCY` | `concurrency` | the whole batch |
 */
export function fcOptionsFrom(env: NodeJS.ProcessEnv): ToAliyunFCOptions {
  const options: ToAliyunFCOptions = {};
  if (env.MAILROOM_DLQ) options.deadLetterQueue = env.MAILROOM_DLQ;
  if (env.MAILROOM_QUEUE) options.queue = env.MAILROOM_QUEUE;
  if (env.MAILROOM_MNS_ENDPOINT) options.endpoint = env.MAILROOM_MNS_ENDPOINT;
  const mode = env.MAILROOM_RETRY_MODE;
  if (mode) {
    if (mode !== "resend" && mode !== "throw") {
      throw new Error(`MAILROOM_RETRY_MODE must be "resend" or "throw", got "${mode}"`);
    }
    options.retryMode = mode;
  }
  if (env.MAILROOM_CONCURRENCY) {
    const n = Number(env.MAILROOM_CONCURRENCY);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`MAILROOM_CONCURRENCY must be a whole number >= 1, got "${env.MAILROOM_CONCURRENCY}"`);
    }
    options.concurrency = n;
  }
  return options;
}
