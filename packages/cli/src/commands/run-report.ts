import { type App, describeError, redact, type Worker, WorkerLogMessages } from "@mailroom/core";
import { describeOutcome, formatDuration, identify, mark, outcomeJson, shortId } from "../format.ts";
import type { Output } from "../output.ts";

/**
 * Messages the Worker both logs and emits as an event. `mailroom run` prints these events
 * itself, with more than the log line has (the transport's URL, the message's name), so its
 * terminal logger skips the log line: one line per event.
 */
export const PRINTED_FROM_EVENTS: ReadonlySet<string> = new Set(Object.values(WorkerLogMessages));

/** How `mailroom run` prints what its worker does. */
export interface ReportOptions {
  /** JSON lines on stdout for settled messages and settle errors. */
  json: boolean;
  /** Also print a human line per start-up wait (the worker's log line is skipped then). */
  human: boolean;
  /** The transport URL, already redacted. */
  shownUrl: string;
}

/**
 * Print each settled message and each settle failure as one line (JSON on stdout with
 * `--json`, else a human line on stderr), and, in human mode, each start-up wait for an
 * unreachable transport.
 */
export function reportWorker(worker: Worker, app: App, options: ReportOptions, io: Output): void {
  worker.on("settled", ({ envelope, outcome, durationMs }) => {
    const { name, id } = identify(envelope);
    const max = app.lookup(name)?.retry.maxAttempts;
    if (options.json) {
      const o = outcomeJson(outcome, envelope.attempt, max);
      io.out(JSON.stringify({ type: "settled", name, id, outcome: o, durationMs }));
    } else {
      const text = describeOutcome(outcome, envelope.attempt, max);
      const took = outcome.kind === "ack" ? formatDuration(durationMs) : `(${formatDuration(durationMs)})`;
      io.err(`${mark(outcome)} ${name} ${shortId(id)} ${text} ${took}`);
    }
  });
  // The per-minute summary, whatever MAILROOM_LOG_LEVEL says: a human line on a terminal, else a
  // JSON line (pino's shape, level info) for the log collector.
  worker.on("summary", (summary) => {
    if (options.human) io.err(`· ${summary.msg}`);
    else {
      const { msg, ...fields } = summary;
      io.err(JSON.stringify({ level: 30, time: Date.now(), name: app.name, ...fields, msg }));
    }
  });
  // A failed ack / retry / dead-letter leaves the message to be redelivered: say so, never silently.
  worker.on("settleError", (error, envelope) => {
    // A settle that failed in the background may not know its message: no name, no id then.
    const which = envelope ? identify(envelope) : undefined;
    if (options.json) {
      io.out(JSON.stringify({ type: "settleError", ...which, error: describeError(error) }));
      return;
    }
    const message = which ? `${which.name} ${shortId(which.id)}` : "a message";
    io.err(redact(`! could not settle ${message}: ${describeError(error)}; it will be redelivered`));
  });
  if (options.human) {
    worker.on("waiting", ({ error, waitedMs, limitMs }) => {
      const left = formatDuration(Math.max(0, limitMs - waitedMs));
      io.err(
        redact(`… waiting for ${options.shownUrl}: ${describeError(error)} (retrying for up to ${left})`),
      );
    });
  }
}

/** The line `mailroom run` prints once its worker is connected and about to receive. */
export function bannerLine(app: App, shownUrl: string, queue: string, untilEmpty: boolean): string {
  const names = app.handlerNames();
  const mode = untilEmpty ? "until the queue is empty" : "until SIGTERM / Ctrl-C";
  const handlers = `${names.length} handler${names.length === 1 ? "" : "s"} (${names.join(", ")})`;
  return `mailroom run: ${handlers} on ${shownUrl}, queue "${queue}", ${mode}`;
}
