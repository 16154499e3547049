import type { pino as Pino, Logger as PinoLogger } from "pino";
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

/** pino's level values; `silent` writes nothing. */
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

type Write = "debug" | "info" | "warn" | "error";

// pino is loaded when the first line is written, not at import: a function's cold start that
// writes nothing never pays for it. Lines written while it loads wait here, in order.
let pinoFactory: typeof Pino | undefined;
let loading: Promise<void> | undefined;
const waiting: Array<() => void> = [];

function loadPino(): Promise<void> {
  loading ??= import("pino").then(
    (module) => {
      // Node finds pino's CommonJS exports by name; a bundle (esbuild's ESM output) gives them
      // only as `default`.
      pinoFactory = module.pino ?? module.default;
      for (const write of waiting.splice(0)) write();
    },
    (error: unknown) => {
      process.stderr.write(`mailroom: could not load pino, ${waiting.length} log line(s) lost: ${error}\n`);
      waiting.length = 0;
    },
  );
  return loading;
}

/**
 * Resolves once every line written so far through a `defaultLogger` has reached its destination.
 * The default logger loads pino on its first line, so the first lines are written a moment
 * later; a cloud function awaits this before it returns (the process may be frozen after).
 */
export function logsWritten(): Promise<void> {
  return waiting.length > 0 && loading ? loading : Promise.resolve();
}

/** True while lines written through a `defaultLogger` wait for pino to load (`logsWritten` resolves then). */
export function logsPending(): boolean {
  return waiting.length > 0;
}

/** A pino logger made on first use; `make` builds it from the loaded module. */
class LazyPino implements Logger {
  readonly #threshold: number;
  readonly #make: () => PinoLogger;
  #pino: PinoLogger | undefined;

  constructor(threshold: number, make: () => PinoLogger) {
    this.#threshold = threshold;
    this.#make = make;
  }

  debug(obj: object, msg?: string): void {
    this.#write("debug", obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.#write("info", obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.#write("warn", obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.#write("error", obj, msg);
  }

  child(bindings: Record<string, unknown>): Logger {
    return new LazyPino(this.#threshold, () => this.pino().child(bindings));
  }

  isLevelEnabled(level: string): boolean {
    return (LEVELS[level] ?? 0) >= this.#threshold;
  }

  /** The pino logger itself; only once pino has loaded. */
  pino(): PinoLogger {
    this.#pino ??= this.#make();
    return this.#pino;
  }

  #write(level: Write, obj: object, msg: string | undefined): void {
    if (LEVELS[level]! < this.#threshold) return;
    if (pinoFactory) {
      this.pino()[level](obj, msg);
      return;
    }
    waiting.push(() => this.pino()[level](obj, msg));
    void loadPino();
  }
}

let defaultMaker: ((name: string) => Logger) | undefined;

/**
 * Make `defaultLogger` — what apps, transports and adapters log to when given no logger — return
 * `make(name)` from now on (undefined: pino again). A program that prints its own way (the
 * `mailroom` CLI on a terminal) sets it before it opens transports, so their lines (an AMQP
 * reconnect, say) read like its own.
 */
export function setDefaultLogger(make: ((name: string) => Logger) | undefined): void {
  defaultMaker = make;
}

/**
 * The default logger: pino at `MAILROOM_LOG_LEVEL` (default `info`) to stderr, so stdout stays
 * free for a command's own output. Message bodies are never logged by Mailroom, and a URL in a
 * line (an error naming a broker, say) has its credentials masked. pino itself is loaded when the
 * first line at an enabled level is written (see `logsWritten`). Throws for an unknown level.
 */
export function defaultLogger(name: string): Logger {
  if (defaultMaker) return defaultMaker(name);
  const level = process.env.MAILROOM_LOG_LEVEL ?? "info";
  const threshold = LEVELS[level];
  if (threshold === undefined) {
    throw new Error(`unknown level ${level} (MAILROOM_LOG_LEVEL: one of ${Object.keys(LEVELS).join(", ")})`);
  }
  return new LazyPino(threshold, () => {
    const pino = pinoFactory!;
    return pino(
      {
        name,
        level,
        hooks: {
          logMethod(args, method) {
            return method.apply(this, args.map(redactFields) as Parameters<typeof method>);
          },
        },
      },
      pino.destination(2),
    );
  });
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
