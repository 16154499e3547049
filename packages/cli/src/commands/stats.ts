import { table } from "../format.ts";
import { type Output, stdio } from "../output.ts";
import { adminOf, openCliTransport, transportUrl } from "../transport.ts";

/** Options of `mailroom stats`. */
export interface StatsOptions {
  transport?: string;
  /** One JSON object per queue on stdout instead of a table. */
  json?: boolean;
}

/**
 * `mailroom stats`: per queue of the transport, how many messages are ready, delayed (retries,
 * scheduled sends), in flight and dead-lettered.
 */
export async function statsCommand(options: StatsOptions, io: Output = stdio): Promise<number> {
  const url = transportUrl(options.transport);
  const transport = await openCliTransport(url);
  try {
    const rows = await adminOf(transport, url, "stats").stats();
    if (options.json) {
      for (const r of rows) io.out(JSON.stringify(r));
      return 0;
    }
    io.out(
      table(
        ["queue", "ready", "delayed", "in flight", "dead-lettered"],
        rows.map((r) => [r.queue, r.ready, r.delayed, r.inFlight, r.deadLettered]),
      ),
    );
    return 0;
  } finally {
    await transport.close();
  }
}
