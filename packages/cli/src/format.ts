import {
  type DecodeFailure,
  describeError,
  type Envelope,
  isDecodeFailure,
  type Outcome,
} from "@mailroom/core";

/** `3ms`, `1.2s`, `2m 05s`, `1m`: short and readable. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  // Rounded as a whole, so 119.7 s is 2m, not 1m 60s.
  const seconds = Math.round(ms / 1_000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s === 0 ? `${m}m` : `${m}m ${String(s).padStart(2, "0")}s`;
}

/**
 * A short id for log lines: the head and the tail (`01a2…5e0ac5`). Uuid v7 ids share their
 * time-ordered head within a second, so the tail is what tells messages apart.
 */
export function shortId(id: string | undefined): string {
  if (!id) return "-";
  return id.length > 12 ? `${id.slice(0, 4)}…${id.slice(-6)}` : id;
}

/**
 * Name and id of a delivery, also when its body could not be decoded, or when a failure
 * (a settle that failed in the background) does not know its message: `(unknown message)`.
 */
export function identify(envelope: Envelope | DecodeFailure | undefined): {
  name: string;
  id: string | undefined;
} {
  if (envelope === undefined) return { name: "(unknown message)", id: undefined };
  if (isDecodeFailure(envelope)) return { name: envelope.meta.name ?? "(undecodable)", id: envelope.meta.id };
  return { name: envelope.name, id: envelope.id };
}

/** The mark that starts a settled line. */
export function mark(outcome: Outcome): string {
  switch (outcome.kind) {
    case "ack":
      return "✓";
    case "retry":
      return "↻";
    case "deadLetter":
      return "✗";
    case "defer":
      return "⏲";
    default:
      return "↩";
  }
}

/**
 * An outcome in words: `ack`, `retry in 1.2s (attempt 1 of 3): Error: …`, `dead-letter: reason`.
 * `maxAttempts` is the handler's, when known.
 */
export function describeOutcome(outcome: Outcome, attempt: number, maxAttempts: number | undefined): string {
  switch (outcome.kind) {
    case "ack":
      return attempt > 1 ? `ack on attempt ${attempt}` : "ack";
    case "retry": {
      const of = maxAttempts === undefined ? `${attempt}` : `${attempt}/${maxAttempts}`;
      return `retry in ${formatDuration(outcome.delayMs)} (attempt ${of}): ${describeError(outcome.error)}`;
    }
    case "deadLetter":
      return `dead-letter: ${outcome.reason}`;
    case "defer":
      return `not due yet, deferred ${formatDuration(outcome.delayMs)}`;
    case "release":
      return "released (given back unprocessed)";
    case "skipped":
      return "skipped (an earlier message of its FIFO group failed)";
  }
}

/** The outcome as plain JSON, for `--json` output. */
export function outcomeJson(
  outcome: Outcome,
  attempt: number,
  maxAttempts: number | undefined,
): Record<string, unknown> {
  switch (outcome.kind) {
    case "retry":
      return {
        kind: "retry",
        delayMs: outcome.delayMs,
        attempt,
        maxAttempts,
        error: describeError(outcome.error),
      };
    case "deadLetter":
      return { kind: "deadLetter", reason: outcome.reason, attempt };
    case "defer":
      return { kind: "defer", delayMs: outcome.delayMs, attempt };
    default:
      return { kind: outcome.kind, attempt };
  }
}

/** Left-aligned columns (numbers right-aligned), two spaces apart, with a header row. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"));
  return cells
    .map((r) =>
      r
        .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
