import { DEFAULT_TRANSPORT, openTransport, type QueueAdmin, redact, type Transport } from "@mailroom/core";
import { CliError } from "./errors.ts";

/** The environment variable that sets the default transport URL. */
export const TRANSPORT_ENV = "MAILROOM_TRANSPORT";

/** The transport URL to use: the `--transport` option, else `$MAILROOM_TRANSPORT`, else the local SQLite queue. */
export function transportUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env[TRANSPORT_ENV] || DEFAULT_TRANSPORT);
}

/**
 * Open a transport by URL. A URL that does not parse is a `CliError`; an unknown scheme or a
 * missing adapter package is core's `ConfigError`. The URL never appears unredacted.
 */
export async function openCliTransport(url: string): Promise<Transport> {
  try {
    return await openTransport(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_INVALID_URL") {
      throw new CliError(`"${redact(url)}" is not a valid transport URL`, { cause: error });
    }
    throw error;
  }
}

/** The transport's admin tools, or a `CliError` saying this transport has none. */
export function adminOf(transport: Transport, url: string, command: string): QueueAdmin {
  if (!transport.admin) {
    throw new CliError(
      `mailroom ${command} is not supported by the "${transport.kind}" transport (${redact(url)}): it has no admin support; use the broker's own console or CLI`,
    );
  }
  return transport.admin();
}
