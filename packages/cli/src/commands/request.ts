import { parseDuration, RequestTimeoutError, redact } from "@mailroom/core";
import { type CodecFlags, codecFromFlags, jsonText } from "../codecs.ts";
import { CliError, ExitCode } from "../errors.ts";
import { parseJsonDocument, readText } from "../messages.ts";
import { type Output, stdio } from "../output.ts";
import { openCliTransport, transportUrl } from "../transport.ts";

/** Options of `mailroom request`. `codec` (with `proto`, `source`): how the request is written. */
export interface RequestCommandOptions extends CodecFlags {
  transport?: string;
  /** How long to wait for the reply (`5s`, `1m`). Default 30 s. */
  timeout?: string;
}

/**
 * `mailroom request <name> <json | @file>`: send a request on the transport and print the
 * handler's reply as JSON on stdout. No reply within the timeout: one line, exit 3.
 */
export async function requestCommand(
  name: string,
  payload: string,
  options: RequestCommandOptions,
  io: Output = stdio,
): Promise<number> {
  const fromFile = payload.startsWith("@");
  const data = parseJsonDocument(
    fromFile ? await readText(payload.slice(1)) : payload,
    fromFile ? payload.slice(1) : "the request argument",
  );
  const timeout = options.timeout === undefined ? 30_000 : duration(options.timeout);
  const codec = await codecFromFlags(options);
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  try {
    if (!transport.requester) {
      throw new CliError(
        `mailroom request is not supported by the "${transport.kind}" transport (${redact(url)})`,
      );
    }
    const requester = transport.requester();
    try {
      const reply = await requester.request(name, data, codec ? { timeout, codec } : { timeout });
      io.out(jsonText(reply ?? null));
      return ExitCode.ok;
    } catch (error) {
      if (error instanceof RequestTimeoutError) {
        throw new CliError(`${error.message} (on ${redact(url)}, queue "${transport.queue}")`, {
          cause: error,
          exitCode: ExitCode.unavailable,
        });
      }
      throw error;
    } finally {
      await requester.close();
    }
  } finally {
    await transport.close();
  }
}

function duration(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new CliError(`--timeout: ${(error as Error).message}`, { cause: error });
  }
}
