import {
  type Outgoing,
  type PublishOptions,
  parseDuration,
  RELAXED_MESSAGE_NAME,
  redact,
  uuidv7,
} from "@mailroom/core";
import { type CodecFlags, codecFromFlags } from "../codecs.ts";
import { CliError } from "../errors.ts";
import { formatDuration } from "../format.ts";
import { isMessageShape, parseJsonDocument, parseMessages, readText } from "../messages.ts";
import { type Output, stdio } from "../output.ts";
import { openCliTransport, transportUrl } from "../transport.ts";

/** Options of `mailroom send`. `codec` (with `proto`, `source`): how the messages are written. */
export interface SendOptions extends CodecFlags {
  /** Deliver after this long (`30s`, `5m`, `2h`, …). */
  delay?: string;
  /** Deliver at this ISO time. */
  at?: string;
  transport?: string;
  /** FIFO group, where the transport has groups. */
  group?: string;
  /** Print `{ "id", "name" }` per message instead of bare ids. */
  json?: boolean;
}

/** Messages published per call. */
const CHUNK = 500;

/**
 * `mailroom send <name> <json | @file>`: publish one message whose data is the JSON (inline or
 * from the file), or — with name `-` — every `{ "name", "data" }` message of the JSON / array /
 * NDJSON. Prints the id of each message sent, one per line, on stdout.
 */
export async function sendCommand(
  name: string,
  payload: string,
  options: SendOptions,
  io: Output = stdio,
): Promise<number> {
  const publishOptions = schedule(options);
  const codec = await codecFromFlags(options);
  const messages = await toMessages(name, payload, options.group);
  if (codec) for (const m of messages) m.codec = codec;
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  const publisher = transport.publisher();
  try {
    for (let i = 0; i < messages.length; i += CHUNK) {
      await publisher.publish(messages.slice(i, i + CHUNK), publishOptions);
    }
  } finally {
    await publisher.close();
    await transport.close();
  }
  for (const m of messages) io.out(options.json ? JSON.stringify({ id: m.id, name: m.name }) : m.id!);
  const when = publishOptions?.at
    ? `, due at ${publishOptions.at.toISOString()}`
    : publishOptions?.delayMs
      ? `, due in ${formatDuration(publishOptions.delayMs)}`
      : "";
  const n = messages.length;
  io.err(`sent ${n} message${n === 1 ? "" : "s"} to ${redact(url)}, queue "${transport.queue}"${when}`);
  return 0;
}

function schedule(options: SendOptions): PublishOptions | undefined {
  if (options.delay !== undefined && options.at !== undefined) {
    throw new CliError("use --delay or --at, not both");
  }
  if (options.delay !== undefined) return { delayMs: parseDuration(options.delay) };
  if (options.at !== undefined) {
    const t = Date.parse(options.at);
    if (Number.isNaN(t)) {
      throw new CliError(`--at "${options.at}" is not a date; use ISO 8601, e.g. 2030-01-31T09:00:00Z`);
    }
    return { at: new Date(t) };
  }
  return undefined;
}

async function toMessages(name: string, payload: string, group: string | undefined): Promise<Outgoing[]> {
  const fromFile = payload.startsWith("@");
  const source = fromFile ? payload.slice(1) : "the message argument";
  const text = fromFile ? await readText(payload.slice(1)) : payload;
  const make = (n: string, data: unknown): Outgoing => {
    checkName(n, name === "-" ? source : undefined);
    return { name: n, data, id: uuidv7(), ...(group !== undefined ? { groupId: group } : {}) };
  };
  if (name !== "-") return [make(name, parseJsonDocument(text, source))];
  return parseMessages(text, source).map((entry) => {
    if (!isMessageShape(entry.value)) {
      const where = entry.line !== undefined ? `line ${entry.line}` : `entry #${entry.index + 1}`;
      throw new CliError(`${source}, ${where}: expected a message { "name": "…", "data": … }`);
    }
    return make(entry.value.name, entry.value.data);
  });
}

function checkName(name: string, source: string | undefined): void {
  // Consumers decide which names they take (a handler may alias a producer's `order.created`),
  // so any name a producer could send goes; the check catches a payload given as the name.
  if (!RELAXED_MESSAGE_NAME.test(name)) {
    throw new CliError(
      `"${name}"${source ? ` (in ${source})` : ""} is not a message name: start with a letter, then letters, digits and _ . - : / (e.g. order_created); use - as the name to send messages { "name", "data" } from a file`,
    );
  }
}
