import { readFile } from "node:fs/promises";
import { CliError } from "./errors.ts";

/** One entry of a messages file, with where it came from (for error messages and output). */
export interface MessageEntry {
  /** 0-based position in the file. */
  readonly index: number;
  /** 1-based line where the entry starts (NDJSON), or undefined for a JSON document. */
  readonly line: number | undefined;
  /** The parsed JSON value: `{ "name", "data" }` when well formed, anything else otherwise. */
  readonly value: unknown;
}

/** A well-formed message: an object with a string `name` (and any `data`). */
export interface MessageShape {
  name: string;
  data: unknown;
}

/** True when `value` is `{ "name": string, "data"?: any }` and nothing else. */
export function isMessageShape(value: unknown): value is MessageShape {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    typeof (value as { name?: unknown }).name === "string" && keys.every((k) => k === "name" || k === "data")
  );
}

/** Read a messages file (see `parseMessages`). A missing or unreadable file is a `CliError`. */
export async function readMessages(path: string): Promise<MessageEntry[]> {
  return parseMessages(await readText(path), path);
}

/** Read a whole file as UTF-8, turning "not found" and friends into a `CliError` naming the path. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new CliError(`file not found: ${path}`);
    if (code === "EISDIR") throw new CliError(`${path} is a directory, not a messages file`);
    if (code === "EACCES") throw new CliError(`cannot read ${path}: permission denied`);
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Parse the text of a messages file. Three forms are accepted and told apart automatically:
 * - one JSON message `{ "name": "order_created", "data": { … } }`;
 * - a JSON array of messages;
 * - NDJSON: one message per line (blank lines ignored).
 * Bad JSON is a `CliError` naming the file and line.
 */
export function parseMessages(text: string, source: string): MessageEntry[] {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") throw new CliError(`${source} is empty; expected a message { "name", "data" }`);
  let whole: unknown;
  let wholeError: Error | undefined;
  try {
    whole = JSON.parse(body);
  } catch (error) {
    wholeError = error as Error;
  }
  if (!wholeError) {
    if (Array.isArray(whole)) {
      if (whole.length === 0) throw new CliError(`${source} holds an empty array; expected messages in it`);
      return whole.map((value, index) => ({ index, line: undefined, value }));
    }
    return [{ index: 0, line: undefined, value: whole }];
  }
  const lines = body.split(/\r?\n/);
  if (!isNdjson(lines)) {
    throw new CliError(`${source}${locate(body, wholeError)}: not valid JSON (${clean(wholeError)})`, {
      cause: wholeError,
    });
  }
  const entries: MessageEntry[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      entries.push({ index: entries.length, line: i + 1, value: JSON.parse(l) });
    } catch (error) {
      throw new CliError(`${source}:${i + 1}: not valid JSON (${clean(error as Error)})`, { cause: error });
    }
  });
  return entries;
}

/**
 * NDJSON when there are several non-blank lines and the first one is a whole JSON object by
 * itself; a file starting with `[` or spreading one object over lines is a single document.
 */
function isNdjson(lines: string[]): boolean {
  const filled = lines.map((l) => l.trim()).filter((l) => l !== "");
  const first = filled[0];
  if (filled.length < 2 || first === undefined || !first.startsWith("{")) return false;
  try {
    JSON.parse(first);
    return true;
  } catch {
    return false;
  }
}

/** `:line:column` of a JSON.parse error in `text`, when the engine reported a position. */
function locate(text: string, error: Error): string {
  const line = /line (\d+) column (\d+)/.exec(error.message);
  if (line) return `:${line[1]}:${line[2]}`;
  const pos = /position (\d+)/.exec(error.message);
  if (!pos) return "";
  const before = text.slice(0, Number(pos[1]));
  const n = before.split("\n").length;
  return `:${n}:${before.length - before.lastIndexOf("\n")}`;
}

function clean(error: Error): string {
  return error.message.replace(/\s*\(line \d+ column \d+\)/, "").slice(0, 200);
}

/** Parse one JSON document; bad JSON is a `CliError` naming `source` and the line and column. */
export function parseJsonDocument(text: string, source: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new CliError(
      `${source}${locate(text, error as Error)}: not valid JSON (${clean(error as Error)})`,
      {
        cause: error,
      },
    );
  }
}
