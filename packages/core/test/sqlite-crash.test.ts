import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sqliteTransport, uuidv7 } from "@mailroom/core";
import { afterEach, describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/sqlite-worker.ts", import.meta.url));

/** What each test started: its folder and worker processes go when it ends, passed or failed. */
const folders: string[] = [];
const workers: ChildProcess[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.exitCode === null && w.signalCode === null) {
      const exited = new Promise((r) => w.once("exit", r));
      w.kill("SIGKILL");
      await exited;
    }
  }
  for (const close of closers.splice(0)) await close();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

function startWorker(file: string, log: string, mode: "forever" | "drain"): ChildProcess {
  // --conditions resolves @mailroom/core to its TypeScript source, run by Node's type stripping.
  const worker = spawn(
    process.execPath,
    ["--conditions=@mailroom/source", "--no-warnings", fixture, file, log, mode],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  workers.push(worker);
  return worker;
}

function openQueue(file: string) {
  const transport = sqliteTransport(file, { queue: "crash" });
  closers.push(() => transport.close());
  return transport;
}

function handled(log: string): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("SQLite queue durability", () => {
  it("a worker killed with kill -9 mid-run loses nothing: processed + dead-lettered = sent", async () => {
    const dir = tempFolder("mailroom-crash-");
    const file = join(dir, "queue.db");
    const log = join(dir, "handled.log");
    const transport = openQueue(file);
    const sent = Array.from({ length: 300 }, (_, i) => ({ id: uuidv7(), name: "crash_item", data: { i } }));
    await transport.publisher().publish(sent);

    const first = startWorker(file, log, "forever");
    await until(() => handled(log).length >= 60, 30_000);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const beforeCrash = new Set(handled(log)).size;
    expect(beforeCrash).toBeLessThan(sent.length);

    const second = startWorker(file, log, "drain");
    const code = await new Promise<number | null>((r) => second.once("exit", r));
    expect(code).toBe(0);

    const processed = new Set(handled(log));
    const dead = await transport.admin!().listDeadLetters({ limit: 1000 });
    const deadIds = new Set(dead.map((d) => d.id));
    const broken = sent.filter((m) => m.data.i % 50 === 7).map((m) => m.id);
    expect([...deadIds].sort()).toEqual(broken.sort());
    expect(processed.size + deadIds.size).toBe(sent.length);
    for (const m of sent) expect(processed.has(m.id) || deadIds.has(m.id)).toBe(true);
    expect(await transport.source().depth!()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
  });

  it("two worker processes on one file never run the same message twice while it is in flight", async () => {
    const dir = tempFolder("mailroom-shared-");
    const file = join(dir, "queue.db");
    const log = join(dir, "handled.log");
    const transport = openQueue(file);
    const sent = Array.from({ length: 400 }, (_, i) => ({ name: "crash_item", data: { i: i * 50 } }));
    await transport.publisher().publish(sent);
    const a = startWorker(file, log, "drain");
    const b = startWorker(file, log, "drain");
    const codes = await Promise.all([a, b].map((p) => new Promise((r) => p.once("exit", r))));
    expect(codes).toEqual([0, 0]);
    const lines = handled(log);
    expect(lines).toHaveLength(400);
    expect(new Set(lines).size).toBe(400);
  });
});
