import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { asyncApiDocument } from "../asyncapi/document.ts";
import { channelTarget } from "../asyncapi/target.ts";
import { CliError, ExitCode } from "../errors.ts";
import { appFromHandlers, resolveHandlersDir } from "../handlers.ts";
import { type Output, stdio } from "../output.ts";
import { transportUrl } from "../transport.ts";

/** Options of `mailroom asyncapi`. */
export interface AsyncApiOptions {
  /** Handlers directory. Default `./handlers`. */
  handlers?: string;
  /** Write the document to this file instead of stdout. */
  out?: string;
  /** `info.title`. Default `Mailroom handlers`. */
  title?: string;
  /** `info.version`. Default `1.0.0`. */
  version?: string;
  /** The transport URL whose queue the channels are on. Default `$MAILROOM_TRANSPORT`, else the local SQLite queue. */
  transport?: string;
}

/**
 * `mailroom asyncapi`: the AsyncAPI 3.0.0 document (JSON) of a handlers directory — a channel,
 * a `receive` operation and a message per handler, payloads as the JSON Schema of the handlers'
 * schemas — on stdout, or written to `--out`. The transport URL is only read, never opened.
 */
export async function asyncapiCommand(options: AsyncApiOptions, io: Output = stdio): Promise<number> {
  const dir = resolveHandlersDir(options.handlers);
  const target = channelTarget(transportUrl(options.transport));
  const app = await appFromHandlers(dir, "asyncapi");
  const document = asyncApiDocument(app, {
    title: options.title,
    version: options.version,
    target,
    resolveFrom: dir,
  });
  const text = JSON.stringify(document, null, 2);
  if (options.out === undefined) {
    io.out(text);
    return ExitCode.ok;
  }
  const path = resolve(options.out);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${text}\n`);
  } catch (error) {
    throw new CliError(`cannot write ${options.out}: ${(error as Error).message}`, { cause: error });
  }
  const count = app.handlerNames().length;
  io.err(`wrote ${options.out}: AsyncAPI 3.0.0, ${count} handler${count === 1 ? "" : "s"}`);
  return ExitCode.ok;
}
