import { createApp, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { describe, expect, it } from "vitest";
import { MnsNetworkError, openTransport } from "../src/index.ts";
import { startMnsServer, TEST_CREDENTIAL } from "../src/testing/index.ts";
import { transportUrl } from "./helpers.ts";

describe("mns worker when MNS goes away", () => {
  it("reports receive errors, backs off, and resumes when the endpoint answers again", async () => {
    const first = await startMnsServer();
    const port = Number(new URL(first.endpoint).port);
    const url = transportUrl(first, "orders", "create=true&visibility=5s&wait=1");
    const t = await openTransport(url, TEST_CREDENTIAL);
    const app = createApp({ name: "r", logger: silentLogger });
    app.handle("order_created", () => {});
    const worker = new Worker(app, t.source(), {
      publisher: t.publisher(),
      logger: silentLogger,
      receiveBackoff: { minMs: 50, maxMs: 200 },
    });
    const spy = new HandlerSpy(worker);
    const errors: unknown[] = [];
    const sawError = new Promise<void>((resolve) =>
      worker.on("receiveError", (error) => {
        errors.push(error);
        resolve();
      }),
    );
    // Gone once the start-up check passed: a receive, not the check, meets the closed endpoint.
    const started = new Promise<void>((resolve) => worker.on("started", () => resolve()));
    void worker.start();
    await started;
    await first.close();
    await sawError;
    expect(errors[0]).toBeInstanceOf(MnsNetworkError);
    expect(worker.state).toBe("running");

    const second = await startMnsServer({ port });
    try {
      const again = await openTransport(url, TEST_CREDENTIAL);
      await again.publisher().publish([{ name: "order_created", data: { id: 1 } }]);
      await spy.waitFor({ name: "order_created", outcome: "ack" }, 10_000);
      expect(worker.stats.receiveErrors).toBeGreaterThanOrEqual(1);
      await worker.stop();
      await again.close();
      await t.close();
    } finally {
      await second.close();
    }
  });

  it("a worker started while MNS is unreachable waits, saying so, and starts once the endpoint answers", async () => {
    const first = await startMnsServer();
    const port = Number(new URL(first.endpoint).port);
    const url = transportUrl(first, "orders", "visibility=5s&wait=1");
    await first.close();
    const t = await openTransport(url, TEST_CREDENTIAL);
    const app = createApp({ name: "r", logger: silentLogger });
    app.handle("order_created", () => {});
    const worker = new Worker(app, t.source(), { publisher: t.publisher(), logger: silentLogger });
    const spy = new HandlerSpy(worker);
    const waiting = new Promise<unknown>((resolve) => worker.on("waiting", ({ error }) => resolve(error)));
    const started = worker.start();
    expect(await waiting).toBeInstanceOf(MnsNetworkError);
    const second = await startMnsServer({ port });
    try {
      const again = await openTransport(url.replace("wait=1", "create=true&wait=1"), TEST_CREDENTIAL);
      await again.publisher().publish([{ name: "order_created", data: { id: 2 } }]);
      await spy.waitFor({ name: "order_created", outcome: "ack" }, 20_000);
      await worker.stop();
      await started;
      await again.close();
      await t.close();
    } finally {
      await second.close();
    }
  });
});
