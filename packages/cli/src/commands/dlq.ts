import { createInterface } from "node:readline/promises";
import { redact } from "@mailroom/core";
import { CliError } from "../errors.ts";
import { shortId, table } from "../format.ts";
import { type Output, stdio } from "../output.ts";
import { progress } from "../progress.ts";
import { adminOf, openCliTransport, transportUrl } from "../transport.ts";

/** Options of `mailroom dlq list`. */
export interface DlqListOptions {
  transport?: string;
  /** Most dead letters shown, oldest first. Default 100. */
  limit?: number;
  /** One JSON object per dead letter (with body and headers) instead of a table. */
  json?: boolean;
}

/** Options of `mailroom dlq redrive`. */
export interface DlqRedriveOptions {
  transport?: string;
  /** Most dead letters moved, oldest first. Default all. */
  limit?: number;
}

/** Options of `mailroom dlq purge`. */
export interface DlqPurgeOptions {
  transport?: string;
  /** Most dead letters deleted, oldest first. Default all. */
  limit?: number;
  /** Delete without asking. Required when stdin is not a terminal. */
  yes?: boolean;
}

/** Asks the operator a yes / no question; resolves true only for yes. */
export type Confirm = (question: string) => Promise<boolean>;

/** A question on the terminal (answered on stdin, asked on stderr), or undefined when stdin is not one. */
export function terminalConfirm(): Confirm | undefined {
  if (process.stdin.isTTY !== true) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} `)).trim());
    } finally {
      rl.close();
    }
  };
}

/** `mailroom dlq list`: the dead letters of the transport's queue, oldest first, with their reasons. */
export async function dlqListCommand(options: DlqListOptions, io: Output = stdio): Promise<number> {
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  try {
    const letters = await adminOf(transport, url, "dlq list").listDeadLetters({
      limit: options.limit ?? 100,
    });
    if (options.json) {
      for (const d of letters)
        io.out(JSON.stringify({ ...d, deadLetteredAt: d.deadLetteredAt?.toISOString() }));
      return 0;
    }
    if (letters.length === 0) {
      io.err(`no dead letters in queue "${transport.queue}"`);
      return 0;
    }
    io.out(
      table(
        ["id", "name", "attempts", "dead-lettered at", "reason"],
        letters.map((d) => [
          shortId(d.id),
          d.name ?? "-",
          d.attempts,
          d.deadLetteredAt?.toISOString() ?? "-",
          oneLine(d.reason),
        ]),
      ),
    );
    return 0;
  } finally {
    await transport.close();
  }
}

/**
 * `mailroom dlq redrive`: move dead letters back to their queue with a fresh attempt count,
 * showing progress; prints how many moved.
 */
export async function dlqRedriveCommand(options: DlqRedriveOptions, io: Output = stdio): Promise<number> {
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  try {
    const admin = adminOf(transport, url, "dlq redrive");
    const moved = await withProgress("redrive", io, options.limit, (o) => admin.redrive(o));
    io.out(
      `moved ${moved} dead letter${moved === 1 ? "" : "s"} back to queue "${transport.queue}" (${redact(url)})`,
    );
    return 0;
  } finally {
    await transport.close();
  }
}

/**
 * `mailroom dlq purge`: delete dead letters for good, oldest first, showing progress; prints how
 * many were deleted. Asks first on a terminal; without one it needs `--yes`.
 */
export async function dlqPurgeCommand(
  options: DlqPurgeOptions,
  io: Output = stdio,
  confirm: Confirm | undefined = options.yes ? undefined : terminalConfirm(),
): Promise<number> {
  if (!options.yes && !confirm)
    throw new CliError(
      "dlq purge deletes dead letters for good: stdin is not a terminal to confirm on, so pass --yes",
    );
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  try {
    const admin = adminOf(transport, url, "dlq purge");
    const queue = transport.queue;
    if (!options.yes) {
      const stats = await admin.stats();
      const row = stats.find((r) => r.queue === queue) ?? (stats.length === 1 ? stats[0] : undefined);
      const count = Math.min(row?.deadLettered ?? 0, options.limit ?? Number.POSITIVE_INFINITY);
      if (count === 0) {
        io.err(`no dead letters in queue "${queue}"`);
        return 0;
      }
      const what = `${count} dead letter${count === 1 ? "" : "s"}`;
      if (!(await confirm!(`delete ${what} of queue "${queue}" for good? [y/N]`))) {
        io.err("nothing deleted");
        return 0;
      }
    }
    const deleted = await withProgress("purge", io, options.limit, (o) => admin.purge(o));
    io.out(
      `deleted ${deleted} dead letter${deleted === 1 ? "" : "s"} of queue "${queue}" for good (${redact(url)})`,
    );
    return 0;
  } finally {
    await transport.close();
  }
}

/** Run an admin operation (redrive, purge) up to `limit` with a progress bar on stderr; its count. */
async function withProgress(
  label: string,
  io: Output,
  limit: number | undefined,
  run: (options: { limit?: number; onProgress: (done: number, total: number) => void }) => Promise<number>,
): Promise<number> {
  const bar = progress(label, io);
  try {
    return await run({
      ...(limit !== undefined ? { limit } : {}),
      onProgress: (done, total) => bar.update(done, total),
    });
  } finally {
    bar.finish();
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ");
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
}
