import { redact } from "@mailroom/core";
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
    const bar = progress("redrive", io);
    let moved: number;
    try {
      moved = await admin.redrive({
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        onProgress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.finish();
    }
    io.out(
      `moved ${moved} dead letter${moved === 1 ? "" : "s"} back to queue "${transport.queue}" (${redact(url)})`,
    );
    return 0;
  } finally {
    await transport.close();
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, " ");
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
}
