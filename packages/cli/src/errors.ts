import { ConfigError, redact } from "@mailroom/core";

/**
 * A mistake the user can fix (bad file, bad option, unknown transport): printed as one line,
 * without a stack trace, and the command exits with `exitCode` (2 by default).
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions & { exitCode?: number }) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** Exit codes of every command. */
export const ExitCode = {
  /** Everything went as asked (for `run`, dead-letters included: that is the queue working). */
  ok: 0,
  /** `local`: some message was not acked. Any command: an unexpected failure (a crash). */
  failed: 1,
  /** A usage or configuration error: bad option, missing file, bad JSON, unknown transport. */
  usage: 2,
} as const;

/**
 * The text and exit code to show for any thrown value: user errors (ours and core's
 * `ConfigError`) as their message alone, anything else with its stack so a crash can be reported.
 * Credentials that may sit in a URL are masked either way.
 */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) return { text: redact(error.message), exitCode: error.exitCode };
  if (error instanceof ConfigError) return { text: redact(error.message), exitCode: ExitCode.usage };
  if (error instanceof RangeError && /^retry\./.test(error.message)) {
    return { text: redact(error.message), exitCode: ExitCode.usage };
  }
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return { text: redact(`unexpected failure: ${text}`), exitCode: ExitCode.failed };
}
