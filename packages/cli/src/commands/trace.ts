import type { Lineage, LineageNode, MessageLogEntry } from "@mailroom/core/message-log";
import { CliError, ExitCode } from "../errors.ts";
import { formatDuration } from "../format.ts";
import { type Output, stdio } from "../output.ts";

/** The environment variable that sets the message log's path (`run --log-messages`, `trace --log`). */
export const MESSAGE_LOG_ENV = "MAILROOM_MESSAGE_LOG";
/** Where `mailroom trace` looks for the log when neither `--log` nor `$MAILROOM_MESSAGE_LOG` says. */
export const DEFAULT_MESSAGE_LOG = "./.mailroom/messages.db";

/** Options of `mailroom trace`. */
export interface TraceOptions {
  /** The message log file. Default `$MAILROOM_MESSAGE_LOG`, else `./.mailroom/messages.db`. */
  log?: string;
  /** The lineage as one JSON object (`Lineage`) instead of a tree. */
  json?: boolean;
}

/**
 * `mailroom trace <messageId>`: the message's ancestors (root first) and the tree of its
 * descendants from the message log, each with its outcome, attempts, reason and duration. Box
 * drawing on a terminal, ASCII otherwise. Exit 1 when the id is not in the log.
 */
export async function traceCommand(id: string, options: TraceOptions, io: Output = stdio): Promise<number> {
  const path = messageLogPath(options.log);
  const { sqliteMessageLog } = await import("@mailroom/core/message-log");
  const log = sqliteMessageLog(path, { readOnly: true });
  try {
    const lineage = log.lineage(id);
    if (!lineage) {
      throw new CliError(
        `message ${id} is not in the message log ${path} (it was not handled by a worker with --log-messages, or it was pruned)`,
        { exitCode: ExitCode.failed },
      );
    }
    if (options.json) io.out(JSON.stringify(lineage));
    else io.out(renderLineage(lineage, boxDrawing()));
    return ExitCode.ok;
  } finally {
    await log.close();
  }
}

/** The log path: the option, else `$MAILROOM_MESSAGE_LOG`, else `./.mailroom/messages.db`. */
export function messageLogPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env[MESSAGE_LOG_ENV] || DEFAULT_MESSAGE_LOG);
}

/** Box drawing when stdout is a terminal; `$MAILROOM_PRETTY` (`1` / `0`) decides when set. */
function boxDrawing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.MAILROOM_PRETTY === "1") return true;
  if (env.MAILROOM_PRETTY === "0") return false;
  return process.stdout.isTTY === true;
}

const BOX = { tee: "├─ ", last: "└─ ", pipe: "│  ", space: "   " };
const ASCII = { tee: "|- ", last: "`- ", pipe: "|  ", space: "   " };

/**
 * A lineage as a tree, one message per line: ancestors root first, each a level deeper, then the
 * message itself (marked), then its descendants. Earlier attempts of a message follow it, indented.
 */
export function renderLineage(lineage: Lineage, boxDrawing: boolean): string {
  const g = boxDrawing ? BOX : ASCII;
  const lines: string[] = [];
  let prefix = "";
  let first = true;
  if (lineage.missingParentId) {
    lines.push(`${lineage.missingParentId}  (parent, not in the log)`);
    first = false;
  }
  const chain: Array<{ entries: readonly MessageLogEntry[]; self: boolean }> = [
    ...lineage.ancestors.map((e) => ({ entries: [e], self: false })),
    { entries: lineage.message, self: true },
  ];
  for (const { entries, self } of chain) {
    const branch = first ? "" : g.last;
    const own = first ? "" : g.space;
    pushMessage(lines, entries, `${prefix}${branch}`, `${prefix}${own}`, self);
    prefix += own;
    first = false;
  }
  const walk = (nodes: readonly LineageNode[], indent: string) => {
    nodes.forEach((node, i) => {
      const lastOne = i === nodes.length - 1;
      const childIndent = indent + (lastOne ? g.space : g.pipe);
      pushMessage(lines, node.attempts, indent + (lastOne ? g.last : g.tee), childIndent, false);
      walk(node.children, childIndent);
    });
  };
  walk(lineage.descendants, prefix);
  if (lineage.truncated) lines.push(`${prefix}… (more descendants than shown)`);
  return lines.join("\n");
}

/** A message's line (its last entry), and one line per earlier attempt below it. */
function pushMessage(
  lines: string[],
  entries: readonly MessageLogEntry[],
  head: string,
  below: string,
  self: boolean,
): void {
  const last = entries.at(-1)!;
  lines.push(`${head}${describeEntry(last)}${self ? "  <- this message" : ""}`);
  for (const e of entries.slice(0, -1)) lines.push(`${below}    earlier: ${attemptText(e)}`);
}

/** `order_created 0193…a1b2c3  acked (attempt 2)  12ms` and the reason, if any. */
function describeEntry(e: MessageLogEntry): string {
  return `${e.name ?? "(undecodable)"} ${e.id}  ${attemptText(e)}`;
}

function attemptText(e: MessageLogEntry): string {
  const reason = e.reason ? `: ${e.reason}` : "";
  return `${OUTCOME_WORDS[e.outcome] ?? e.outcome} (attempt ${e.attempt}, ${formatDuration(e.durationMs)})${reason}`;
}

const OUTCOME_WORDS: Record<string, string> = {
  ack: "acked",
  retry: "retried",
  deadLetter: "dead-lettered",
  defer: "deferred",
  release: "released",
  skipped: "skipped",
};
