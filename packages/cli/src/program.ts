import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { asyncapiCommand } from "./commands/asyncapi.ts";
import { bridgeCommand } from "./commands/bridge.ts";
import { dashboardCommand } from "./commands/dashboard.ts";
import { dlqListCommand, dlqPurgeCommand, dlqRedriveCommand } from "./commands/dlq.ts";
import { localCommand } from "./commands/local.ts";
import { requestCommand } from "./commands/request.ts";
import { runCommand } from "./commands/run.ts";
import { sendCommand } from "./commands/send.ts";
import { statsCommand } from "./commands/stats.ts";
import { traceCommand } from "./commands/trace.ts";
import { describeFailure, ExitCode } from "./errors.ts";
import { type Output, stdio } from "./output.ts";

/** The CLI package's version, read from its package.json (works from src/ and dist/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of 1 or more.");
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return n;
}

const TRANSPORT_HELP = "transport URL (default: $MAILROOM_TRANSPORT, else sqlite:./.mailroom/queue.db)";
const CODEC_HELP = "write messages as json, cloudevents (structured), cloudevents-binary or protobuf";
const PROTO_HELP = "with --codec protobuf: a module exporting the message types (protoc-gen-es output)";
const SOURCE_HELP = "with --codec cloudevents*: the events' source (default: /mailroom)";
const HANDLERS_HELP = "directory of handler files, one per message name (default: ./handlers)";

/** `mailroom run`'s own arguments, for the workers of `--workers N`: without `--workers` and the health options. */
function runArgs(rawArgs: readonly string[]): string[] {
  const args = rawArgs.slice(rawArgs.indexOf("run") + 1);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = a.split("=")[0]!;
    if (["--workers", "--health-port", "--health-host"].includes(flag)) {
      if (!a.includes("=")) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * The `mailroom` command tree. Each action stores its exit code through `exit`; errors are
 * thrown to `main`, which prints them.
 */
export function buildProgram(
  exit: (code: number) => void,
  io: Output = stdio,
  argv: readonly string[] = process.argv,
): Command {
  const program = new Command("mailroom")
    .description("Run Mailroom message handlers locally, as a worker, and manage the queue.")
    .version(version(), "-V, --version", "print the version")
    .showHelpAfterError("(run with --help for usage)")
    // `mailroom asyncapi --version V` is the document's version: the program's own options come before the command.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  program
    .command("local")
    .description("run each message of a file through its handler in process and print the outcomes")
    .argument("<file>", 'one message { "name", "data" }, a JSON array of them, or NDJSON')
    .option("--handlers <dir>", HANDLERS_HELP)
    .option("--json", "one JSON object per message on stdout")
    .option("--codec <name>", `${CODEC_HELP}, then read back (default: as the handlers' codecs write them)`)
    .option("--proto <module>", PROTO_HELP)
    .option("--source <uri>", SOURCE_HELP)
    .action(async (file: string, o) => exit(await localCommand(file, o, io)));

  program
    .command("run")
    .description("run a worker on a transport (default: the local SQLite queue)")
    .option("--handlers <dir>", HANDLERS_HELP)
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--concurrency <n>", "most handlers running at once (default: 16)", positiveInt)
    .option("--batch-size <n>", "most messages per receive (default: 10)", positiveInt)
    .option("--until-empty", "exit with a summary once the queue is drained (due retries are waited for)")
    .option("--json", "settled messages and the summary as JSON lines on stdout")
    .option(
      "--health-port <port>",
      "serve /healthz and /metrics on this port (env MAILROOM_HEALTH_PORT; 0 = any free port)",
      nonNegativeInt,
    )
    .option("--health-host <host>", "interface for --health-port (default: 127.0.0.1; 0.0.0.0 in containers)")
    .option(
      "--workers <n>",
      "run N worker processes under a supervisor that restarts a crashed one and drains all on SIGTERM (default: 1)",
      positiveInt,
    )
    .option(
      "--connect-timeout <duration>",
      "at start-up, how long to wait for a transport that is not reachable yet: 30s, 2m; 0 = fail at once (env MAILROOM_CONNECT_TIMEOUT; default: 60s)",
    )
    .option(
      "--log-messages <path>",
      "record every settled message (id, name, parent, outcome, reason, times) to this SQLite message log, for mailroom trace (env MAILROOM_MESSAGE_LOG)",
    )
    .action(async (o) => exit(await runCommand({ ...o, argv: runArgs(argv) }, io)));

  program
    .command("trace")
    .description("print a message's ancestors and descendants from the message log, with their outcomes")
    .argument(
      "<messageId>",
      "the id of a message handled with run --log-messages; also the shortened form run and dlq list print (01a2…934ec3), or a unique prefix or suffix of 6+ characters",
    )
    .option("--log <path>", "the message log (default: $MAILROOM_MESSAGE_LOG, else ./.mailroom/messages.db)")
    .option("--json", "the lineage as one JSON object: ancestors, message, descendants")
    .action(async (id: string, o) => exit(await traceCommand(id, o, io)));

  program
    .command("asyncapi")
    .description(
      "print the AsyncAPI 3.0 document of the handlers: a channel, receive operation and message per handler",
    )
    .option("--handlers <dir>", HANDLERS_HELP)
    .option("--out <file>", "write the document (JSON) to this file instead of stdout")
    .option("--title <text>", "the document's info.title (default: Mailroom handlers)")
    .option("--version <version>", "the document's info.version (default: 1.0.0)")
    .option("--transport <url>", `${TRANSPORT_HELP}; only read, for the queue the channels are on`)
    .action(async (o) => exit(await asyncapiCommand(o, io)));

  program
    .command("bridge")
    .description("move messages from one transport to another (at-least-once, keeping id and lineage)")
    .requiredOption("--from <url>", "transport URL to move messages from")
    .requiredOption("--to <url>", "transport URL to move them to")
    .option("--names <a,b>", "move only these message names (default: every name)")
    .option(
      "--others <what>",
      "with --names, other names: dead-letter (default, kept on the source) or ack (dropped)",
    )
    .option("--until-empty", "exit with a summary once the source is drained")
    .option("--concurrency <n>", "most messages moved at once (default: 16)", positiveInt)
    .option(
      "--connect-timeout <duration>",
      "how long to wait for an unreachable source at start-up (default: 60s)",
    )
    .option("--json", "the summary as JSON on stdout")
    .action(async (o) => exit(await bridgeCommand(o, io)));

  program
    .command("send")
    .description("publish a message (or, with name -, every message of a file)")
    .argument("<name>", "message name, e.g. order_created; - to take names from the messages")
    .argument(
      "<payload>",
      'the data as JSON, or @file; with name -, messages { "name", "data" } (JSON, array or NDJSON)',
    )
    .option("--delay <duration>", "deliver after this long: 500ms, 30s, 5m, 2h, 1d")
    .option("--at <time>", "deliver at this ISO 8601 time")
    .option("--group <id>", "FIFO group id, where the transport has groups")
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--codec <name>", `${CODEC_HELP} (default: the transport's, JSON)`)
    .option("--proto <module>", PROTO_HELP)
    .option("--source <uri>", SOURCE_HELP)
    .option("--json", 'print { "id", "name" } per message instead of bare ids')
    .action(async (name: string, payload: string, o) => exit(await sendCommand(name, payload, o, io)));

  program
    .command("request")
    .description("send a request and print the handler's reply as JSON")
    .argument("<name>", "message name, e.g. quote_price")
    .argument("<payload>", "the data as JSON, or @file")
    .option("--timeout <duration>", "how long to wait for the reply (default: 30s)")
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--codec <name>", `${CODEC_HELP} (default: the transport's, JSON)`)
    .option("--proto <module>", PROTO_HELP)
    .option("--source <uri>", SOURCE_HELP)
    .action(async (name: string, payload: string, o) => exit(await requestCommand(name, payload, o, io)));

  program
    .command("stats")
    .description("per queue: ready, delayed, in flight and dead-lettered counts")
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--json", "one JSON object per queue")
    .action(async (o) => exit(await statsCommand(o, io)));

  program
    .command("dashboard")
    .description("a web page with queue figures (live), dead letters with lineage, worker rates and redrive")
    .option(
      "--transport <url>",
      `${TRANSPORT_HELP}; repeat for several transports`,
      (url: string, urls: string[] = []) => [...urls, url],
    )
    .option("--host <host>", "interface to listen on (default: 127.0.0.1; any other needs --token)")
    .option("--port <port>", "port to listen on (default: 8090; 0 = any free port)", nonNegativeInt)
    .option(
      "--token <token>",
      "require this token on every request: Authorization: Bearer, or ?token= once then a cookie (env MAILROOM_DASHBOARD_TOKEN)",
    )
    .option(
      "--workers <urls>",
      "workers' health addresses, comma-separated (http://127.0.0.1:9464), for rates from /metrics",
    )
    .option(
      "--log-messages <path>",
      "the message log written by mailroom run --log-messages, for dead letters' lineage (env MAILROOM_MESSAGE_LOG)",
    )
    .action(async (o) => exit(await dashboardCommand(o, io)));

  const dlq = program.command("dlq").description("inspect, redrive and purge the dead-letter queue");
  dlq
    .command("list")
    .description("dead letters of the queue, oldest first, with their reasons")
    .option("--limit <n>", "most dead letters shown (default: 100)", positiveInt)
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--json", "one JSON object per dead letter, with body and headers")
    .action(async (o) => exit(await dlqListCommand(o, io)));
  dlq
    .command("redrive")
    .description("move dead letters back to their queue with a fresh attempt count")
    .option("--limit <n>", "most dead letters moved (default: all)", positiveInt)
    .option("--transport <url>", TRANSPORT_HELP)
    .action(async (o) => exit(await dlqRedriveCommand(o, io)));
  dlq
    .command("purge")
    .description("delete dead letters for good, oldest first (asks first; --yes where no terminal)")
    .option("--limit <n>", "most dead letters deleted (default: all)", positiveInt)
    .option("--transport <url>", TRANSPORT_HELP)
    .option("--yes", "delete without asking (required when stdin is not a terminal)")
    .action(async (o) => exit(await dlqPurgeCommand(o, io)));

  for (const c of [program, dlq, ...program.commands, ...dlq.commands]) c.exitOverride();
  return program;
}

/**
 * Run the CLI on `argv` (as `process.argv`) and resolve with the exit code. Never throws:
 * user errors are printed as one line, crashes with their stack.
 */
export async function main(argv: string[], io: Output = stdio): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(
    (c) => {
      code = c;
    },
    io,
    argv,
  );
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    const { text, exitCode } = describeFailure(error);
    io.err(`mailroom: ${text}`);
    return exitCode;
  }
}
