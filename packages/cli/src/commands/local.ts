import type { Codec } from "@mailroom/core";
import { testApp } from "@mailroom/core/testkit";
import { type CodecFlags, codecFromFlags, jsonText } from "../codecs.ts";
import { ExitCode } from "../errors.ts";
import { describeOutcome, identify, mark, outcomeJson } from "../format.ts";
import { appFromHandlers, resolveHandlersDir } from "../handlers.ts";
import { isMessageShape, readMessages } from "../messages.ts";
import { type Output, stdio } from "../output.ts";

/** Options of `mailroom local`. `codec` (with `proto`, `source`): write every message with it first. */
export interface LocalOptions extends CodecFlags {
  /** Handlers directory. Default `./handlers`. */
  handlers?: string;
  /** One JSON object per message on stdout instead of text. */
  json?: boolean;
}

/**
 * `mailroom local <file>`: run every message of a file through its handler in process (the test
 * kit: same codec, validation, middleware and outcome rules as a real transport, no broker),
 * print each outcome and what the handler published. Returns exit code 1 when any message was
 * not acked. Entries that are not `{ "name", "data" }` go through the decoder as raw JSON, so
 * they dead-letter with the reason a transport would give. Each message is written as the app
 * writes its name (a handler's `codec`), or with `--codec` (a CloudEvent, protobuf, …), then read
 * back as a transport would.
 */
export async function localCommand(file: string, options: LocalOptions, io: Output = stdio): Promise<number> {
  const entries = await readMessages(file);
  const flagCodec = await codecFromFlags(options);
  const app = await appFromHandlers(resolveHandlersDir(options.handlers), "local");
  const kit = testApp(app);
  // `--codec protobuf` without `--proto` knows the types of the handlers' own protobuf codecs.
  const codecOf = (name: string): Codec | undefined => {
    const own = app.codecFor(name);
    return flagCodec?.name === "protobuf" && options.proto === undefined && own?.name === "protobuf"
      ? own
      : flagCodec;
  };
  const counts = { ack: 0, retry: 0, deadLetter: 0, other: 0 };
  for (const entry of entries) {
    const v = entry.value;
    const codec = isMessageShape(v) ? codecOf(v.name) : undefined;
    const result = isMessageShape(v)
      ? await kit.send(v.name, v.data, codec ? { codec } : {})
      : await kit.sendRaw(JSON.stringify(v));
    const { name, id } = identify(result.envelope);
    const max = app.lookup(name)?.retry.maxAttempts;
    const { outcome } = result;
    if (outcome.kind === "ack" || outcome.kind === "retry" || outcome.kind === "deadLetter")
      counts[outcome.kind]++;
    else counts.other++;
    const published = result.published.map((p) => ({ name: p.name, data: p.data, ...(p.options ?? {}) }));
    if (options.json) {
      io.out(
        jsonText({
          index: entry.index,
          ...(entry.line !== undefined ? { line: entry.line } : {}),
          name,
          id,
          outcome: outcomeJson(outcome, 1, max),
          published,
        }),
      );
      continue;
    }
    const where = entry.line !== undefined ? ` (line ${entry.line})` : "";
    io.out(`#${entry.index + 1}${where} ${mark(outcome)} ${name}  ${describeOutcome(outcome, 1, max)}`);
    for (const p of published) io.out(`    ↳ published ${p.name} ${preview(p.data)}`);
  }
  const failed = entries.length - counts.ack;
  if (!options.json) {
    const parts = [`${counts.ack} ack`, `${counts.retry} retry`, `${counts.deadLetter} dead-letter`];
    if (counts.other > 0) parts.push(`${counts.other} other`);
    io.out(`${entries.length} message${entries.length === 1 ? "" : "s"}: ${parts.join(", ")}`);
  }
  return failed === 0 ? ExitCode.ok : ExitCode.failed;
}

function preview(data: unknown): string {
  const text = jsonText(data);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
