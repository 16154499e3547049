import type { DeadLetter } from "@mailroom/core";
import type { ChaosPlan } from "./plan.ts";

/** The dead-letter queue read against the plan. */
export interface DeadLetterTally {
  /** Poison bodies found there (by their marker). */
  poison: Set<number>;
  /** Good items found there, with the reason each was given: none should be. */
  good: Map<number, string>;
  /** Dead letters that are neither (a copy the runner cannot place). */
  unknown: number;
  /** Entries in all (a message dead-lettered twice counts twice). */
  total: number;
}

const POISON = /chaos-poison-(\d+)/;

/** Place every dead letter: a poison body (by marker), a good item (by envelope id or data), or unknown. */
export function tallyDeadLetters(
  plan: ChaosPlan,
  idPrefix: string,
  list: readonly DeadLetter[],
): DeadLetterTally {
  const tally: DeadLetterTally = { poison: new Set(), good: new Map(), unknown: 0, total: list.length };
  for (const letter of list) {
    const marker = POISON.exec(letter.body);
    if (marker) {
      tally.poison.add(Number(marker[1]));
      continue;
    }
    const n = itemOf(letter, idPrefix);
    if (n !== undefined && n < plan.items.length) tally.good.set(n, letter.reason || "(no reason)");
    else tally.unknown++;
  }
  return tally;
}

function itemOf(letter: DeadLetter, idPrefix: string): number | undefined {
  if (letter.id.startsWith(`${idPrefix}-`)) return Number(letter.id.slice(idPrefix.length + 1));
  const data = /"n":(\d+)/.exec(letter.body);
  return data ? Number(data[1]) : undefined;
}

/** Items and poison bodies that ended nowhere: no side effect and no dead letter. */
export function lostOf(plan: ChaosPlan, done: ReadonlySet<number>, dead: DeadLetterTally): number[] {
  const lost: number[] = [];
  for (const item of plan.items) if (!done.has(item.n) && !dead.good.has(item.n)) lost.push(item.n);
  return lost;
}

/** Poison bodies missing from the dead-letter queue. */
export function lostPoisonOf(plan: ChaosPlan, dead: DeadLetterTally): number {
  return plan.poison.length - dead.poison.size;
}

/** The reasons of wrongly dead-lettered items, most frequent first, shortened for the report. */
export function reasonsOf(dead: DeadLetterTally): string[] {
  const counts = new Map<string, number>();
  for (const reason of dead.good.values()) {
    const short = reason
      .replace(/item \d+/g, "item N")
      .replace(/[0-9a-f-]{20,}/g, "…")
      .slice(0, 160);
    counts.set(short, (counts.get(short) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} × ${reason}`);
}
