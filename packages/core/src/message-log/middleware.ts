import type { Middleware } from "../middleware/middleware.ts";
import { type MessageLogSink, type OutcomeKind, toEntry } from "./entry.ts";

/** Options of `messageLog`. */
export interface MessageLogOptions {
  /** Where entries go: `sqliteMessageLog(path)`, or any `MessageLogSink`. */
  sink: MessageLogSink;
  /**
   * Outcomes to record. Default every one: `ack`, `retry`, `deadLetter`, `defer`, `release`,
   * `skipped`. Leave out `defer` for apps that schedule far ahead (each early receipt is a defer).
   */
  outcomes?: readonly OutcomeKind[];
  /** Told when the sink throws or rejects. Default: a process warning, once. */
  onError?: (error: unknown) => void;
}

/**
 * The message log: records every delivery the app settles — id, name, `parentId`,
 * `correlationId`, attempt, outcome, reason, times, transport and queue — to a sink, once per
 * handler run and once for every message settled without running (undecodable, invalid, unknown
 * name, too many attempts). It sees the final outcome, after the runner has turned errors into
 * outcomes, in the Worker and in every push adapter. Add it to the app (`app.use`): it is not a
 * layer around handlers and costs nothing on their path but the sink's `record`.
 *
 * @example
 * import { messageLog, sqliteMessageLog } from "@mailroom/core/message-log";
 * app.use(messageLog({ sink: sqliteMessageLog("./data/messages.db") }));
 */
export function messageLog(options: MessageLogOptions): Middleware {
  const { sink } = options;
  const only = options.outcomes ? new Set<string>(options.outcomes) : undefined;
  let warned = false;
  const onError =
    options.onError ??
    ((error: unknown) => {
      if (warned) return;
      warned = true;
      process.emitWarning(`the message log sink failed; entries are being lost: ${String(error)}`);
    });
  return {
    name: "messageLog",
    settled(message) {
      if (only && !only.has(message.outcome.kind)) return;
      try {
        const pending = sink.record(toEntry(message));
        if (pending instanceof Promise) pending.catch(onError);
      } catch (error) {
        onError(error);
      }
    },
  };
}
