import type { App, RetryPolicy } from "@mailroom/core";
import type { BodyEncoding } from "../body.ts";

/** The host.json section for queue and Service Bus triggers (merge it into your host.json). */
export interface AzureHostJson {
  version: "2.0";
  extensions: {
    queues: {
      /** After this many dequeues the host moves a message to `<queue>-poison` itself (only if Mailroom could not: a crash or timeout). */
      maxDequeueCount: number;
      /** How long a failed message stays invisible before its retry, `hh:mm:ss` (the host's one fixed delay). */
      visibilityTimeout: string;
      /** `base64` when Mailroom writes base64 (the default), `none` for `?encoding=text`. */
      messageEncoding: "base64" | "none";
    };
  };
}

/** What a Functions deployment should be configured with for an app's retry policies. */
export interface AzureFunctionSettings {
  hostJson: AzureHostJson;
  /** MaxDeliveryCount to set on Service Bus queues and subscriptions (an entity property, not host.json). */
  serviceBusMaxDeliveryCount: number;
  /** Where the host cannot honour a policy as the Worker does, one line each. */
  notes: string[];
}

/**
 * The host.json settings (and Service Bus MaxDeliveryCount) that match an app's retry policies:
 * `maxDequeueCount` / MaxDeliveryCount = the largest `maxAttempts` of any handler (each handler
 * dead-letters with its reason at its own `maxAttempts`; the host's limit only catches runs that
 * crashed or timed out), `visibilityTimeout` = the app's `baseDelayMs` rounded up to seconds (the
 * host waits one fixed delay between storage queue retries: no exponential backoff, no jitter, no
 * per-message `ctx.retry({ delayMs })`), `messageEncoding` = how Mailroom writes bodies.
 *
 * @example
 * const { hostJson, notes } = azureFunctionSettings(app);
 * writeFileSync("host.json", JSON.stringify(hostJson, null, 2));
 */
export function azureFunctionSettings(
  app: App,
  options: { bodyEncoding?: BodyEncoding } = {},
): AzureFunctionSettings {
  const policies = new Map<string, RetryPolicy>(
    app.handlerNames().map((name) => [name, app.lookup(name)!.retry]),
  );
  const maxAttempts = Math.max(app.retry.maxAttempts, ...[...policies.values()].map((p) => p.maxAttempts));
  const delaySeconds = Math.ceil(app.retry.baseDelayMs / 1000);
  const notes = [
    `storage queue retries wait a fixed ${delaySeconds} s (host.json visibilityTimeout): the backoff up to ${app.retry.maxDelayMs} ms, its jitter and ctx.retry({ delayMs }) cannot be chosen per message`,
    "Service Bus retries are redelivered at once (abandon): no delay, no backoff",
  ];
  for (const [name, p] of policies) {
    if (p.maxAttempts !== maxAttempts) {
      notes.push(
        `"${name}" dead-letters after ${p.maxAttempts} attempts by itself (the host's limit is ${maxAttempts})`,
      );
    }
    if (Math.ceil(p.baseDelayMs / 1000) !== delaySeconds) {
      notes.push(
        `"${name}" asks for a first retry after ${p.baseDelayMs} ms; the host waits ${delaySeconds} s for every handler`,
      );
    }
  }
  return {
    hostJson: {
      version: "2.0",
      extensions: {
        queues: {
          maxDequeueCount: maxAttempts,
          visibilityTimeout: timeSpan(delaySeconds),
          messageEncoding: (options.bodyEncoding ?? "base64") === "base64" ? "base64" : "none",
        },
      },
    },
    serviceBusMaxDeliveryCount: maxAttempts,
    notes,
  };
}

/** Seconds as a .NET TimeSpan, `hh:mm:ss` (days as `d.hh:mm:ss`). */
export function timeSpan(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  const hms = [h, m, s].map((n) => String(n).padStart(2, "0")).join(":");
  return d > 0 ? `${d}.${hms}` : hms;
}
