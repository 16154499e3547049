import { pino } from "pino";
import { redactFields } from "./redact.ts";

/** The logging surface Mailroom uses: pino's, so a pino logger (or any compatible one) fits. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
  /** pino's: lets Mailroom skip building a debug line nobody reads. */
  isLevelEnabled?(level: string): boolean;
}

/**
 * The default logger: pino at `MAILROOM_LOG_LEVEL` (default `info`) to stderr, so stdout stays
 * free for a command's own output. Message bodies are never logged by Mailroom, and a URL in a
 * line (an error naming a broker, say) has its credentials masked.
 */
export function defaultLogger(name: string): Logger {
  return pino(
    {
      name,
      level: process.env.MAILROOM_LOG_LEVEL ?? "info",
      hooks: {
        logMethod(args, method) {
          return method.apply(this, args.map(redactFields) as Parameters<typeof method>);
        },
      },
    },
    pino.destination(2),
  );
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
  isLevelEnabled() {
    return false;
  },
};
