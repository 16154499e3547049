import { ConfigError, MailroomError, RefusedError, redact, TransportError } from "@mailroom/core";

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
  /** The broker or service could not be reached, refused the credentials, or refused the request. */
  unavailable: 3,
} as const;

/**
 * The text and exit code to show for any thrown value: user errors (ours and core's
 * `ConfigError`) as their message alone, anything else with its stack so a crash can be reported.
 * Credentials that may sit in a URL are masked either way.
 */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) return { text: redact(error.message), exitCode: error.exitCode };
  // The broker refused the configuration (credentials, a missing queue or vhost): exit 3 like any
  // other refusal by the broker, where a configuration the CLI itself rejects exits 2.
  if (error instanceof RefusedError) return { text: redact(error.message), exitCode: ExitCode.unavailable };
  if (error instanceof ConfigError) return { text: redact(error.message), exitCode: ExitCode.usage };
  if (error instanceof RangeError && /^retry\./.test(error.message)) {
    return { text: redact(error.message), exitCode: ExitCode.usage };
  }
  // Typed failures from a transport (connection refused, bad credentials, unroutable message)
  // are everyday operating conditions, not crashes: their message says it all.
  if (error instanceof TransportError) return { text: redact(error.message), exitCode: ExitCode.unavailable };
  if (error instanceof MailroomError) return { text: redact(error.message), exitCode: ExitCode.failed };
  const aws = awsFailure(error);
  if (aws) return aws;
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return { text: redact(`unexpected failure: ${text}`), exitCode: ExitCode.failed };
}

/** The AWS SDK's everyday failures (no credentials, a service error answer) as one line. */
function awsFailure(error: unknown): { text: string; exitCode: number } | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "CredentialsProviderError") {
    return {
      text: `no AWS credentials: ${error.message} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an IAM role is attached)`,
      exitCode: ExitCode.usage,
    };
  }
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (meta && typeof meta === "object") {
    const status = meta.httpStatusCode ? ` (HTTP ${meta.httpStatusCode})` : "";
    return {
      text: redact(`AWS refused the request: ${error.name}: ${error.message}${status}`),
      exitCode: ExitCode.unavailable,
    };
  }
  return undefined;
}
