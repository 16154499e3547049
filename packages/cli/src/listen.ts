import type { Server } from "node:http";
import { CliError } from "./errors.ts";

/**
 * Listen on `host:port`, or reject with a one-line `CliError` (exit 2) that names the option to
 * change (`flag`, e.g. `--port`) when the port is in use or the host is not of this machine.
 */
export function listen(server: Server, host: string, port: number, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenFailure(error, host, port, flag));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

/**
 * A failure to listen as the CLI's one-line error: the Node error itself, or one that carries it
 * as its `cause` (core's `serveHealth` rejects so). Any other failure is returned unchanged.
 */
export function listenFailure(error: unknown, host: string, port: number, flag: string): unknown {
  // Core's errors have a `code` of their own ("config_error"): the Node error is their cause.
  const codes = [errnoCode(error), errnoCode((error as { cause?: unknown } | undefined)?.cause)];
  const code = codes.find((c) => c === "EADDRINUSE" || c === "EADDRNOTAVAIL" || c === "ENOTFOUND");
  if (code === "EADDRINUSE") {
    return new CliError(
      `port ${port} on ${host} is in use; choose another with ${flag} (0 = any free port)`,
      {
        cause: error,
      },
    );
  }
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new CliError(`cannot listen on ${host}: it is not an address of this machine`, { cause: error });
  }
  return error;
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
