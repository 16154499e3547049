import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createApp, type Outgoing, PermanentError, silentLogger, uuidv7 } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublishBufferFullError } from "../src/index.ts";
import { AMQP_URL, brokerLock, testScope, transport, uniqueName, until } from "./helpers.ts";

const run = promisify(execFile);
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  release = await brokerLock("exclusive");
}, 300_000);
// Registered before the scope's own afterAll, so it runs after it (vitest runs afterAll hooks in reverse).
afterAll(async () => {
  await release?.();
});
const scope = testScope(afterAll, { tolerant: true });
const { stops } = scope;

const rabbitmqctl = (...args: string[]) => run("rabbitmqctl", ["-q", ...args], { timeout: 120_000 });

function messages(count: number, from = 0): Array<Outgoing & { id: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: uuidv7(), name: "count_me", data: { n: from + i } }));
}

/** Ids in the dead-letter queue (read with basic.get, given back). */
async function deadLetterIds(t: ReturnType<typeof transport>): Promise<Set<string>> {
  const list = await t.admin().listDeadLetters({ limit: 100_000 });
  return new Set(list.map((d) => d.id));
}

describe("resilience (real broker restarts and crashes)", () => {
  it("broker restart mid-run (stop_app / start_app): processed + dead-lettered = sent, nothing lost", async () => {
    const queue = uniqueName("restart");
    const t = await transport(queue, { prefetch: 64, publishBuffer: 1_000 }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const processed = new Set<string>();
    app.handle("count_me", async (data, ctx) => {
      const { n } = data as { n: number };
      await new Promise((r) => setTimeout(r, 2));
      if (n % 50 === 0) throw new PermanentError(`n=${n} is a multiple of 50`);
      processed.add(ctx.envelope.id);
    });
    const first = messages(2_000);
    await t.publisher().publish(first);
    const { spy, worker } = scope.run(app, t, { concurrency: 8 });
    let reconnected = 0;
    worker.on("reconnected", () => reconnected++);
    await until(() => processed.size >= 300, 30_000, "300 messages processed");

    const down = new Promise<void>((resolve) => t.connection.once("disconnected", () => resolve()));
    await rabbitmqctl("stop_app");
    await down;
    // Not ready while the connection is lost (/readyz 503), though receives wait rather than fail.
    expect(worker.readiness()).toMatchObject({
      ok: false,
      reason: "connection to the transport lost; reconnecting",
    });
    // Publishes while the broker is away wait in the bounded buffer ...
    const during = messages(500, 2_000);
    const buffered = t.publisher().publish(during);
    // ... and one that does not fit fails at once, clearly.
    await expect(t.publisher().publish(messages(600, 9_000))).rejects.toThrow(PublishBufferFullError);
    await rabbitmqctl("start_app");
    await rabbitmqctl("await_startup");
    await buffered;
    await until(() => worker.readiness().ok, 30_000, "ready again after the restart");

    const sent = [...first, ...during];
    const shouldDie = new Set(sent.filter((m) => (m.data as { n: number }).n % 50 === 0).map((m) => m.id));
    await until(async () => processed.size + shouldDie.size >= sent.length, 60_000, "every message settled");
    await until(async () => (await deadLetterIds(t)).size >= shouldDie.size, 30_000, "dead letters");
    const dead = await deadLetterIds(t);
    expect(processed.size + dead.size).toBe(sent.length);
    expect([...processed, ...dead].sort()).toEqual(sent.map((m) => m.id).sort());
    expect(spy.records.length).toBeGreaterThanOrEqual(sent.length);
    // The Worker was told of the reconnect (event and the mailroom_reconnects_total counter).
    expect(reconnected).toBeGreaterThanOrEqual(1);
    expect(worker.stats.reconnects).toBe(reconnected);
  }, 240_000);

  it("a worker killed with kill -9 mid-run loses nothing: processed + dead-lettered = sent", async () => {
    const queue = uniqueName("kill9");
    const t = await transport(queue).connect();
    stops.push(() => t.close());
    const sent = messages(3_000);
    await t.publisher().publish(sent);
    const dir = mkdtempSync(join(tmpdir(), "mailroom-kill9-"));
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const log = join(dir, "handled.log");
    const readLog = () => {
      try {
        return readFileSync(log, "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    };
    const startWorker = () => {
      const child = spawn(
        process.execPath,
        [
          "--conditions=@mailroom/source",
          join(import.meta.dirname, "fixtures/accounting-worker.ts"),
          AMQP_URL,
          queue,
          log,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      stops.push(async () => {
        // A child killed by a signal has no exit code, only a signal code.
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        // Only once it is gone may its folder go: it writes there until the end.
        await exited;
      });
      return child;
    };
    const victim = startWorker();
    await until(() => readLog().length >= 500, 60_000, "the first worker to handle 500 messages");
    const exited = new Promise((r) => victim.once("exit", r));
    victim.kill("SIGKILL");
    await exited;
    const atKill = readLog().length;
    expect(atKill).toBeLessThan(sent.length - 60);

    startWorker();
    const shouldDie = sent.filter((m) => (m.data as { n: number }).n % 50 === 0).length;
    await until(
      () => new Set(readLog()).size + shouldDie >= sent.length,
      90_000,
      "the second worker to finish",
    );
    await until(async () => (await deadLetterIds(t)).size >= shouldDie, 30_000, "dead letters");
    const processed = new Set(readLog());
    const dead = await deadLetterIds(t);
    expect(processed.size + dead.size).toBe(sent.length);
    expect([...processed, ...dead].sort()).toEqual(sent.map((m) => m.id).sort());
  }, 240_000);
});
