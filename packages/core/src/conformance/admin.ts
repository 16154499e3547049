import { expect, it } from "vitest";
import { PermanentError } from "../errors.ts";
import type { QueueAdmin, Transport } from "../transport.ts";
import { type Harness, sleep } from "./harness.ts";

/**
 * The suite's admin part: what `mailroom dlq list | redrive | purge` and `mailroom stats` rely
 * on. Dead letters are listed with their reasons, redriven and purged by `limit`, and a purge
 * never touches the live queue.
 */
export function adminTests(h: Harness): void {
  it("dead letters are listed with their reasons; redrive({ limit: 1 }) moves one back to be handled again; purge({ limit: 1 }) deletes one, purge() the rest, and never a live message", async () => {
    const queue = h.queueName("admin");
    const t = await h.open(queue);
    const admin = adminOf(h, t);
    const app = h.newApp();
    let healed = false;
    app.handle("conf_admin", () => {
      if (!healed) throw new PermanentError("refused until healed");
    });
    const ms = [1, 2, 3, 4].map((n) => h.msg("conf_admin", { n }));
    await t.publisher().publish(ms);
    const first = h.start(app, t);
    await first.spy.waitFor({ name: "conf_admin", outcome: "deadLetter", count: ms.length }, 30_000);
    const ids = ms.map((m) => m.id).sort();

    const dead = await h.waitForDeadLetters(queue, t, ms.length);
    expect(dead.map((d) => d.id).sort()).toEqual(ids);
    for (const d of dead) {
      expect(d.reason).toBe("permanent_error: refused until healed");
      expect(d.name).toBe("conf_admin");
    }

    healed = true;
    const redriveProgress: number[] = [];
    expect(await admin.redrive({ limit: 1, onProgress: (done) => redriveProgress.push(done) })).toBe(1);
    expect(redriveProgress.at(-1)).toBe(1);
    const [again] = await first.spy.waitFor({ name: "conf_admin", outcome: "ack" }, 30_000);
    const redriven = again!.envelope as { id: string; attempt: number };
    expect(ids).toContain(redriven.id);
    expect(redriven.attempt).toBe(1);
    await first.worker.stop();
    // A fresh transport: the stopped worker's consumer may still be open on the old one.
    await t.close();
    const t2 = await h.open(queue);
    const admin2 = adminOf(h, t2);
    const left = await deadLettersUntil(h, queue, t2, 3);
    expect(left.map((d) => d.id).sort()).toEqual(ids.filter((id) => id !== redriven.id));

    // Published before the purges and not consumed while they run: a purge must leave it.
    const live = h.msg("conf_admin", { live: true });
    await t2.publisher().publish([live]);

    const purgeProgress: Array<[number, number]> = [];
    const one = await admin2.purge({
      limit: 1,
      onProgress: (done, total) => purgeProgress.push([done, total]),
    });
    expect(one).toBe(1);
    expect(purgeProgress.at(-1)).toEqual([1, 1]);
    await deadLettersUntil(h, queue, t2, 2);
    const rest = await admin2.purge({ onProgress: (done, total) => purgeProgress.push([done, total]) });
    expect(rest).toBe(2);
    expect(purgeProgress.at(-1)?.[0]).toBe(2);
    expect(await deadLettersUntil(h, queue, t2, 0)).toEqual([]);
    expect(await admin2.purge()).toBe(0);
    const stats = await admin2.stats();
    const row = stats.find((r) => r.queue === t2.queue) ?? (stats.length === 1 ? stats[0] : undefined);
    expect(row?.deadLettered).toBe(0);

    const second = h.start(app, t2);
    await second.spy.waitFor({ id: live.id, outcome: "ack" }, 30_000);
  });
}

function adminOf(h: Harness, t: Transport): QueueAdmin {
  const admin = t.admin?.();
  if (!admin) throw new Error(`${h.target.name}: the admin cases need transport.admin()`);
  return admin;
}

/** The dead letters once there are exactly `count` (listings of cloud queues may lag a delete). */
async function deadLettersUntil(h: Harness, queue: string, t: Transport, count: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const list = await h.deadLetters(queue, t);
    if (list.length === count || Date.now() > deadline) return list;
    await sleep(200);
  }
}
