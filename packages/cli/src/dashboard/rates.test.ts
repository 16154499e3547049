import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { metricsUrl, parseCounters, RateMeter } from "./rates.ts";

/** Prometheus text as `mailroom run` serves it, with these counter values. */
function exposition(
  c: { received: number; acked: number; retried: number; dead: number },
  labels = "",
): string {
  const lb = labels ? `{${labels}}` : "";
  return [
    "# HELP mailroom_messages_received_total Messages received.",
    "# TYPE mailroom_messages_received_total counter",
    `mailroom_messages_received_total${lb} ${c.received}`,
    `mailroom_messages_acked_total${lb} ${c.acked}`,
    `mailroom_messages_retried_total${lb} ${c.retried}`,
    `mailroom_messages_dead_lettered_total${lb} ${c.dead}`,
    `mailroom_last_receive_timestamp_seconds${lb} 1700000000.000`,
  ].join("\n");
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real HTTP server whose /metrics answers `body()`; resolves with its base URL. */
async function metricsServer(body: () => string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(body());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("parseCounters", () => {
  it("sums each counter over its label sets (a supervisor's per-worker samples) and ignores the rest", () => {
    const text = [
      exposition({ received: 10, acked: 8, retried: 1, dead: 1 }, 'worker="0"'),
      exposition({ received: 5, acked: 5, retried: 0, dead: 0 }, 'worker="1"'),
      "mailroom_receive_errors_total 7",
      // prom-client's labels by message name and outcome, values that hold braces and quotes
      'mailroom_messages_received_total{name="odd}name",queue="q \\"x\\""} 2',
    ].join("\n");
    expect(parseCounters(text)).toEqual({ received: 17, acked: 13, retried: 1, deadLettered: 1 });
  });

  it("is all zeros for a text without the counters", () => {
    expect(parseCounters("# nothing here\nother_metric 3\n")).toEqual({
      received: 0,
      acked: 0,
      retried: 0,
      deadLettered: 0,
    });
  });
});

describe("metricsUrl", () => {
  it("takes a worker's health address or its full metrics URL", () => {
    expect(metricsUrl("http://127.0.0.1:9464").href).toBe("http://127.0.0.1:9464/metrics");
    expect(metricsUrl("http://10.0.0.5:9464/custom/metrics").href).toBe(
      "http://10.0.0.5:9464/custom/metrics",
    );
  });
});

describe("RateMeter", () => {
  it("gives rates from the difference between two scrapes, failed being retried plus dead-lettered", async () => {
    let c = { received: 100, acked: 90, retried: 6, dead: 4 };
    const url = await metricsServer(() => exposition(c));
    const meter = new RateMeter([metricsUrl(url)]);
    const first = await meter.poll();
    expect(first.workers[0]).toMatchObject({ received: null, acked: null, failed: null });
    expect(first.total).toEqual({ received: null, acked: null, failed: null });

    const before = Date.now();
    await new Promise((r) => setTimeout(r, 200));
    c = { received: 140, acked: 120, retried: 8, dead: 6 };
    const second = await meter.poll();
    const seconds = (Date.now() - before) / 1000;
    const w = second.workers[0]!;
    // 40 received, 30 acked, 4 failed over a bit more than 0.2 s.
    expect(w.received! * seconds).toBeGreaterThanOrEqual(40 * 0.9);
    expect(w.received!).toBeLessThanOrEqual(40 / 0.2);
    expect(w.acked! / w.received!).toBeCloseTo(30 / 40);
    expect(w.failed! / w.received!).toBeCloseTo(4 / 40);
    expect(second.total).toEqual({ received: w.received, acked: w.acked, failed: w.failed });
  });

  it("a worker that restarted (counters went down) shows no negative rate", async () => {
    let c = { received: 500, acked: 500, retried: 0, dead: 0 };
    const url = await metricsServer(() => exposition(c));
    const meter = new RateMeter([metricsUrl(url)]);
    await meter.poll();
    await new Promise((r) => setTimeout(r, 50));
    c = { received: 3, acked: 2, retried: 1, dead: 0 };
    const { workers } = await meter.poll();
    expect(workers[0]!.received).toBeGreaterThan(0);
    expect(workers[0]!.acked).toBeGreaterThan(0);
  });

  it("reports a worker that does not answer and sums the ones that do", async () => {
    const up = await metricsServer(() => exposition({ received: 1, acked: 1, retried: 0, dead: 0 }));
    const down = await metricsServer(() => "");
    await new Promise((r) => servers.pop()!.close(r));
    const meter = new RateMeter([metricsUrl(up), metricsUrl(down)], { timeoutMs: 1000 });
    await meter.poll();
    await new Promise((r) => setTimeout(r, 20));
    const { total, workers } = await meter.poll();
    expect(workers[0]!.error).toBeUndefined();
    expect(workers[1]!.error).toMatch(/^not reachable: /);
    expect(total.received).toBe(0);
  });
});
