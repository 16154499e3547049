import { setTimeout as sleep } from "node:timers/promises";
import type { Outgoing, Transport } from "@mailroom/core";
import type { ChaosPlan } from "./plan.ts";

/** What publishing the plan took. */
export interface PublishReport {
  /** Batches (or poison bodies) sent again after a failed attempt: each may have doubled messages. */
  retries: number;
  lastError?: string;
}

const BATCH = 100;

/**
 * Publish the plan's messages in batches of 100 through Mailroom, with its poison bodies spread
 * among them as a foreign producer would send them. A failed publish (the broker restarting or
 * stalled) is tried again until `deadline`: publishing is at least once here too, and a retried
 * batch may put a message twice on the queue — the report counts them, so duplicates can be told
 * from the consumer's.
 */
export async function publishPlan(
  transport: Transport,
  plan: ChaosPlan,
  sendRaw: (bytes: Uint8Array) => Promise<void>,
  deadline: number,
): Promise<PublishReport> {
  const report: PublishReport = { retries: 0 };
  const publisher = transport.publisher();
  const persist = async (send: () => Promise<void>) => {
    for (;;) {
      try {
        return await send();
      } catch (error) {
        report.retries++;
        report.lastError = String(error);
        if (Date.now() > deadline) throw error;
        await sleep(250);
      }
    }
  };
  const poisonEvery =
    plan.poison.length > 0 ? Math.max(1, Math.floor(plan.items.length / plan.poison.length)) : 0;
  let poisonSent = 0;
  for (let start = 0; start < plan.items.length; start += BATCH) {
    const batch: Outgoing[] = plan.items.slice(start, start + BATCH).map((item) => ({
      id: item.id,
      name: item.name,
      data: { n: item.n, transient: item.transient },
    }));
    await persist(() => publisher.publish(batch));
    const end = start + batch.length;
    while (poisonSent < plan.poison.length && poisonSent * poisonEvery < end) {
      const body = plan.poison[poisonSent++]!;
      await persist(() => sendRaw(body.bytes));
    }
  }
  while (poisonSent < plan.poison.length) {
    const body = plan.poison[poisonSent++]!;
    await persist(() => sendRaw(body.bytes));
  }
  return report;
}
