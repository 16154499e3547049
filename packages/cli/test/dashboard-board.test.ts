// The dashboard's figures when one transport is down: the real SQLite queue beside a RabbitMQ
// URL on a port nothing listens on, served by the real HTTP server in this process; and a
// RabbitMQ queue that does not exist (scripts/services.sh starts the broker).
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Transport } from "@mailroom/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AMQP_URL, closedPort, sharedBrokerLock, uniqueName } from "../../adapter-amqp/test/helpers.ts";
import { Board, type BoardState } from "../src/dashboard/board.ts";
import { Guard } from "../src/dashboard/guard.ts";
import { RateMeter } from "../src/dashboard/rates.ts";
import { type DashboardServer, dashboardServer } from "../src/dashboard/server.ts";
import { sendCommand } from "../src/index.ts";
import { openCliTransport } from "../src/transport.ts";
import { capture } from "./transport-scenario.ts";

sharedBrokerLock({ beforeAll, afterAll });

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** GET `path` on the dashboard; the status and body. */
function get(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    })
      .on("error", reject)
      .end();
  });
}

/** The first `state` event pushed on `/events`. */
function firstEvent(base: string): Promise<BoardState> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/events`, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        text += d;
        const m = /event: state\ndata: (.*)\n\n/.exec(text);
        if (m) {
          req.destroy();
          resolve(JSON.parse(m[1]!) as BoardState);
        }
      });
    });
    req.on("error", (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

/** A dashboard on a free loopback port over a SQLite queue with two ready messages and a RabbitMQ that is down. */
async function dashboardWithOneDown(): Promise<{ base: string; dashboard: DashboardServer }> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-board-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = `sqlite:${join(dir, "q.db")}`;
  const quiet = capture();
  for (const n of [1, 2]) {
    expect(await sendCommand("order_placed", JSON.stringify({ n }), { transport: sqlite }, quiet.io)).toBe(0);
  }
  const amqp = `amqp://guest:Sup3rSecretPw@127.0.0.1:${await closedPort()}/?queue=orders`;
  const watched: Array<{ url: string; transport: Transport }> = [];
  for (const url of [sqlite, amqp]) {
    const transport = await openCliTransport(url);
    cleanups.push(() => transport.close());
    watched.push({ url, transport });
  }
  const board = new Board(watched, new RateMeter([]), undefined, { listTimeoutMs: 1_000 });
  const dashboard = dashboardServer(board, new Guard(undefined), { intervalMs: 200 });
  await new Promise<void>((resolve) => dashboard.server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => dashboard.close());
  const { port } = dashboard.server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, dashboard };
}

/** The healthy SQLite figures, and the RabbitMQ one shown as not answering, without its password. */
function expectOneDown(state: BoardState): void {
  const [sqlite, amqp] = state.transports;
  expect(sqlite).toMatchObject({ id: "t0", kind: "sqlite", admin: true });
  expect(sqlite!.error).toBeUndefined();
  expect(sqlite!.queues[0]).toMatchObject({ ready: 2, delayed: 0, deadLettered: 0 });
  expect(amqp).toMatchObject({ id: "t1", kind: "amqp", admin: true, queue: "orders" });
  expect(amqp!.error).toMatch(/no answer from the transport within 2 s/);
  expect(amqp!.queues).toEqual([
    { queue: "orders", ready: null, delayed: null, inFlight: null, deadLettered: null },
  ]);
  expect(JSON.stringify(state)).not.toContain("Sup3rSecretPw");
}

describe("dashboard with a transport that does not answer", () => {
  it("/api/state answers within 3 s with the other transport's figures and an error for it, every time", async () => {
    const { base } = await dashboardWithOneDown();
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const res = await get(base, "/api/state");
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(res.status).toBe(200);
      expectOneDown(JSON.parse(res.body) as BoardState);
    }
  }, 15_000);

  it("/api/dead-letters of the transport that does not answer is a 502 saying so, within its timeout", async () => {
    const { base } = await dashboardWithOneDown();
    const started = Date.now();
    const res = await get(base, "/api/dead-letters?transport=t1");
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error).toMatch(/no answer from the transport within 1 s/);
    expect(res.body).not.toContain("Sup3rSecretPw");
  }, 15_000);

  it("/events pushes the figures within 3 s instead of waiting on the broker", async () => {
    const { base } = await dashboardWithOneDown();
    const started = Date.now();
    const state = await firstEvent(base);
    expect(Date.now() - started).toBeLessThan(3_000);
    expectOneDown(state);
  }, 15_000);
});

describe("dashboard on a RabbitMQ queue that does not exist", () => {
  it("/api/dead-letters answers 502 with one line naming the dead-letter queue, and /api/state shows the error", async () => {
    const queue = uniqueName("dashboard-missing");
    const url = `${AMQP_URL}?queue=${queue}`;
    const transport = await openCliTransport(url);
    cleanups.push(() => transport.close());
    const dashboard = dashboardServer(
      new Board([{ url, transport }], new RateMeter([])),
      new Guard(undefined),
    );
    await new Promise<void>((resolve) => dashboard.server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => dashboard.close());
    const base = `http://127.0.0.1:${(dashboard.server.address() as AddressInfo).port}`;

    const letters = await get(base, "/api/dead-letters?transport=t0");
    expect(letters.status).toBe(502);
    const { error } = JSON.parse(letters.body) as { error: string };
    expect(error).toMatch(
      new RegExp(`dead-letter queue "${queue}\\.dlq" does not exist on RabbitMQ at amqp://`),
    );
    expect(error).not.toContain("\n");
    const state = JSON.parse((await get(base, "/api/state")).body) as BoardState;
    expect(state.transports[0]!.error).toMatch(new RegExp(`queue "${queue}" does not exist`));
  }, 15_000);
});
