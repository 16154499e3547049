import { describeError, type Logger, redact } from "@mailroom/core";
import { CliError } from "./errors.ts";
import { formatDuration, shortId } from "./format.ts";

/** pino's level names and numbers, so `MAILROOM_LOG_LEVEL` means the same in both formats. */
const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;

/** A level name `MAILROOM_LOG_LEVEL` accepts. */
export type LogLevel = keyof typeof LEVELS;

/** Options of `terminalLogger`. */
export interface TerminalLoggerOptions {
  /** Lowest level printed. Default `info`. */
  level?: LogLevel;
  /**
   * Messages not printed, because the caller prints the same event itself with more context
   * (the worker's "waiting" line with the transport URL, say): one line per event, not two.
   */
  skip?: ReadonlySet<string>;
}

/**
 * A `Logger` for people at a terminal: one line per entry, in the format of `mailroom run`'s
 * outcome lines — `! receive failed; backing off: TransportError: … (3rd in a row)`, or, from a
 * handler's `ctx.logger`, `· order_created 01a2…5e0ac5 order received (order=o-1)`. `!` marks
 * warnings and errors, `·` the rest. No message body is ever printed by Mailroom itself;
 * credentials in URLs are masked. Each line goes to `write`.
 *
 * @example
 * const logger = terminalLogger((line) => process.stderr.write(`${line}\n`), { level: "warn" });
 * new Worker(app, source, { logger });
 */
export function terminalLogger(write: (line: string) => void, options: TerminalLoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const skip = options.skip ?? new Set<string>();
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: LogLevel) => (obj: object | string, msg?: string) => {
      if (LEVELS[level] < threshold) return;
      const entry = typeof obj === "string" ? { fields: {}, msg: obj } : { fields: obj, msg };
      if (entry.msg !== undefined && skip.has(entry.msg)) return;
      try {
        write(formatLogLine(level, { ...bindings, ...fieldsOf(entry.fields) }, entry.msg));
      } catch {
        // A closed stderr must not turn a log line into a failed message.
      }
    };
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: (level) => (LEVELS[level as LogLevel] ?? Infinity) >= threshold,
    };
  };
  return make({});
}

/**
 * The level named by `MAILROOM_LOG_LEVEL` (`info` when unset). An unknown name is a `CliError`
 * listing the known ones, rather than pino's crash.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const value = env.MAILROOM_LOG_LEVEL?.trim().toLowerCase() || "info";
  if (value in LEVELS) return value as LogLevel;
  throw new CliError(
    `MAILROOM_LOG_LEVEL "${env.MAILROOM_LOG_LEVEL}" is not a log level; use one of ${Object.keys(LEVELS).join(", ")}`,
  );
}

/** An `Error` passed as the whole object (pino's `logger.warn(err, "…")`) shows as its error. */
function fieldsOf(obj: object): Record<string, unknown> {
  return obj instanceof Error ? { error: obj } : (obj as Record<string, unknown>);
}

/**
 * One log entry as one line: mark, the message's name and short id (when the entry is about a
 * message), the text, `: <error>`, then the other fields in parentheses, durations in words.
 */
export function formatLogLine(
  level: LogLevel,
  fields: Record<string, unknown>,
  msg: string | undefined,
): string {
  const { messageName, messageId, error, err, consecutive, waitedMs, limitMs, ...rest } = fields;
  const parts: string[] = [LEVELS[level] >= LEVELS.warn ? "!" : "·"];
  if (messageName !== undefined) parts.push(String(messageName));
  if (messageId !== undefined) parts.push(shortId(String(messageId)));
  let text = msg ?? "";
  const failure = error ?? err;
  if (failure !== undefined)
    text += `${text ? ": " : ""}${typeof failure === "string" ? failure : describeError(failure)}`;
  if (text) parts.push(text);
  const notes: string[] = [];
  if (typeof consecutive === "number") notes.push(`${ordinal(consecutive)} in a row`);
  if (typeof waitedMs === "number") {
    const of = typeof limitMs === "number" ? ` of ${formatDuration(limitMs)}` : "";
    notes.push(`waited ${formatDuration(waitedMs)}${of}`);
  } else if (limitMs !== undefined) rest.limitMs = limitMs;
  for (const [key, value] of Object.entries(rest)) notes.push(note(key, value));
  if (notes.length > 0) parts.push(`(${notes.join(", ")})`);
  // One entry, one line: a stack or a multi-line message would break the column of marks.
  return redact(parts.join(" ").replace(/\s*\n\s*/g, " "));
}

function note(key: string, value: unknown): string {
  if (/Ms$/.test(key) && typeof value === "number") return `${key.slice(0, -2)}=${formatDuration(value)}`;
  if (typeof value === "string") return `${key}=${/[\s,()]/.test(value) ? JSON.stringify(value) : value}`;
  if (value instanceof Error) return `${key}=${describeError(value)}`;
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return `${key}=${shown.length > 200 ? `${shown.slice(0, 199)}…` : shown}`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}
