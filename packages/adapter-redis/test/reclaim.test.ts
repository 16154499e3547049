import { spawn } from "node:child_process";
import { join } from "node:path";
import { createApp, silentLogger, TransportError, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, describe, expect, it } from "vitest";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, streamPrefix, streamUrl } from "./helpers.ts";

const prefix = streamPrefix("reclaim");
const client = plainClient();
const opened: Array<{ transport: RedisTransport; worker?: Worker }> = [];

afterAll(async () => {
  for (const o of opened.reverse()) {
    await o.worker?.stop();
    await o.transport.close();
  }
  await deleteKeys(client, prefix);
  client.disconnect();
});

async function open(stream: string): Promise<RedisTransport> {
  const transport = await openStream(stream, { visibilityTimeoutMs: 1_000 });
  opened.push({ transport });
  return transport;
}

describe("visibility by reclaiming idle entries (XAUTOCLAIM)", () => {
  it("an entry held past the visibility timeout without a heartbeat is reclaimed by another consumer at attempt 2; the first holder's late retry is refused and leaves no copy", async () => {
    const stream = `${prefix}late`;
    const t = await open(stream);
    await t.publisher().publish([{ id: "m-1", name: "conf_late", data: {} }]);
    const first = t.source();
    const [held] = await first.receive(10, new AbortController().signal);
    expect(held?.envelope.attempt).toBe(1);
    const second = t.source();
    const deadline = Date.now() + 5_000;
    let reclaimed: Awaited<ReturnType<typeof second.receive>> = [];
    while (reclaimed.length === 0 && Date.now() < deadline) {
      reclaimed = await second.receive(10, new AbortController().signal);
    }
    expect(reclaimed.map((d) => d.envelope.attempt)).toEqual([2]);
    await expect(held!.retry(0)).rejects.toThrow(TransportError);
    await reclaimed[0]!.ack();
    expect(await client.xlen(stream)).toBe(0);
    expect(await client.zcard(`${stream}:delayed`)).toBe(0);
  });

  it("a worker killed with SIGKILL while holding entries: another worker reclaims each after the visibility timeout and runs it once more, at attempt 2", async () => {
    const stream = `${prefix}killed`;
    const t = await open(stream);
    const ids = Array.from({ length: 5 }, (_, i) => `k-${i}`);
    await t.publisher().publish(ids.map((id) => ({ id, name: "conf_kill", data: {} })));
    const child = spawn(
      process.execPath,
      [
        "--conditions=@mailroom/source",
        join(import.meta.dirname, "fixtures/hanging-worker.ts"),
        streamUrl(stream, { visibility: "1s" }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.split("running").length - 1 >= 2) resolve();
        });
        child.once("exit", (code) => reject(new Error(`the hanging worker exited early (${code})`)));
      });
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    const app = createApp({ name: "survivor", logger: silentLogger });
    const attempts = new Map<string, number[]>();
    app.handle("conf_kill", (_d, ctx) => {
      attempts.set(ctx.envelope.id, [...(attempts.get(ctx.envelope.id) ?? []), ctx.attempt]);
    });
    const worker = new Worker(app, t.source(), { logger: silentLogger });
    opened.push({ transport: t, worker });
    const spy = new HandlerSpy(worker);
    void worker.start();
    await spy.waitFor({ name: "conf_kill", outcome: "ack", count: ids.length }, 15_000);
    expect([...attempts.keys()].sort()).toEqual(ids);
    expect([...attempts.values()]).toEqual(ids.map(() => [2]));
  });
});
