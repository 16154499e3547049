import type { Lineage, LineageNode, MessageLogEntry, SqliteMessageLog } from "@mailroom/core/message-log";
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

/** Fewest characters of a bare id part (no `…`) looked up by prefix or suffix. */
const MIN_PART = 6;
/** Most ids listed when a part matches several. */
const MAX_LISTED = 10;

/**
 * `mailroom trace <messageId>`: the message's ancestors (root first) and the tree of its
 * descendants from the message log, each with its outcome, attempts, reason and duration. Box
 * drawing on a terminal, ASCII otherwise. Exit 1 when the id is not in the log.
 *
 * Besides a whole id, it takes the shortened form other commands print (`01a2…934ec3`) and a
 * prefix or suffix of at least 6 characters, when they match one message only; when they match
 * several, it lists them (up to 10) and exits 2. An empty id is a usage error (exit 2).
 */
export async function traceCommand(id: string, options: TraceOptions, io: Output = stdio): Promise<number> {
  if (id.trim() === "") {
    throw new CliError(
      "give a message id: mailroom trace <messageId> (a message whose body could not be decoded and had no id cannot be traced)",
    );
  }
  const path = messageLogPath(options.log);
  const { sqliteMessageLog } = await import("@mailroom/core/message-log");
  const log = sqliteMessageLog(path, { readOnly: true });
  try {
    const lineage = log.lineage(id) ?? lineageOfPart(log, id, path);
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

/**
 * The lineage of the one message a partial id stands for: `<prefix>…<suffix>` (as `shortId`
 * prints; `...` too) or a bare prefix or suffix of `MIN_PART` characters or more. Undefined when
 * none matches; a `CliError` (exit 2) listing them when several do.
 */
function lineageOfPart(log: SqliteMessageLog, part: string, path: string): Lineage | undefined {
  const ellipsis = /…|\.\.\./.exec(part);
  let ids: string[];
  if (ellipsis) {
    const prefix = part.slice(0, ellipsis.index);
    const suffix = part.slice(ellipsis.index + ellipsis[0].length);
    if (prefix === "" && suffix === "") return undefined;
    ids = log.findIds({ prefix, suffix }, MAX_LISTED + 1);
  } else if (part.length >= MIN_PART) {
    const both = [
      ...log.findIds({ prefix: part }, MAX_LISTED + 1),
      ...log.findIds({ suffix: part }, MAX_LISTED + 1),
    ];
    ids = [...new Set(both)].sort().slice(0, MAX_LISTED + 1);
  } else return undefined;
  if (ids.length === 0) return undefined;
  if (ids.length > 1) {
    const listed = ids.slice(0, MAX_LISTED).map((i) => `  ${i}`);
    if (ids.length > MAX_LISTED) listed.push("  … and more");
    throw new CliError(
      `${part} matches ${ids.length > MAX_LISTED ? `more than ${MAX_LISTED}` : ids.length} messages in the message log ${path}; give more of the id:\n${listed.join("\n")}`,
    );
  }
  return log.lineage(ids[0]!);
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
