import { createServer, type Server } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { createApp } from "../app.ts";
import { ConfigError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { memoryTransport } from "../transports/memory.ts";
import { serveHealth } from "./health.ts";
import { Worker } from "./worker.ts";

async function takenPort(): Promise<number> {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const address = taken.address();
  if (typeof address !== "object" || !address) throw new Error("no address");
  return address.port;
}

function idleWorker(): Worker {
  const t = memoryTransport({ namespace: `health-${process.pid}-${Math.random()}` });
  const app = createApp({ name: "t", logger: silentLogger });
  app.handle("x", () => {});
  return new Worker(app, t.source(), { logger: silentLogger });
}

describe("serveHealth", () => {
  it("rejects with a ConfigError naming the port when it is in use, and emits no unhandled 'error'", async () => {
    const port = await takenPort();
    const uncaught: unknown[] = [];
    const record = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", record);
    onTestFinished(() => {
      process.off("uncaughtException", record);
    });
    const failure = await serveHealth(idleWorker(), { port }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toBe(`cannot serve health on 127.0.0.1:${port}: the port is in use`);
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    await new Promise((r) => setImmediate(r));
    expect(uncaught).toEqual([]);
  });

  it("rejects with a ConfigError when the host is not an address of this machine", async () => {
    const failure = await serveHealth(idleWorker(), { port: 0, host: "192.0.2.1" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toBe(
      "cannot serve health on 192.0.2.1:0: 192.0.2.1 is not an address of this machine",
    );
  });

  it("serves on any free port with port 0: /readyz answers 503 before the worker starts", async () => {
    const health = await serveHealth(idleWorker(), { port: 0 });
    onTestFinished(() => {
      health.close();
    });
    expect(health.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${health.url}/readyz`)).status).toBe(503);
  });
});
