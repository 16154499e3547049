import { join } from "node:path";
import { createApp, isDecodeFailure, silentLogger, Worker } from "@mailroom/core";
import { HandlerSpy } from "@mailroom/core/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
// The Python runner is shared with the AMQP and SQS interop tests.
import { requirePythonModules, runPython } from "../../adapter-amqp/test/python.ts";
import { openTransport } from "../src/index.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

// The Azure SDK's v12 queue client for Python (Debian's python3-azure-multiapi-storage, installed
// by scripts/services.sh, as azure.multiapi.storagev2.queue) talking to Mailroom through Azurite.

let azurite: Azurite;
const stops: Array<() => Promise<void>> = [];
const py = (script: string) => join(import.meta.dirname, "python", script);

beforeAll(async () => {
  azurite = await startAzurite();
});
// In beforeEach, so that without the module every test fails with the fix (never a skip).
beforeEach(() => requirePythonModules(["azure.multiapi.storagev2.queue"]));
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await azurite?.stop();
});

async function open(queue: string) {
  const t = await openTransport(azurite.url(queue, "create=true&maxPoll=200ms&wait=3s"));
  stops.push(() => t.close());
  return t;
}

describe("interop with the Azure SDK's v12 queue client for Python", () => {
  it("base64 and plain-text messages a Python producer sends are handled by a Mailroom worker", async () => {
    const queue = uniqueQueue("py-in");
    const t = await open(queue);
    const body = (id: string) => JSON.stringify({ name: "order_created", data: { id, note: "<b>&é</b>" } });
    const args = (encoding: string, ...bodies: string[]) => [
      "--connection",
      azurite.connectionString,
      "--queue",
      queue,
      "--encoding",
      encoding,
      ...bodies.flatMap((b) => ["--body", b]),
    ];
    const sent = [
      ...(await runPython(py("azure_send.py"), args("base64", body("b-1"), body("b-2")))),
      ...(await runPython(py("azure_send.py"), args("text", body("t-1")))),
    ];
    expect(sent).toHaveLength(3);
    const app = createApp({ name: "interop", logger: silentLogger });
    const seen: Array<{ id: string; data: unknown; attempt: number }> = [];
    app.handle(
      "order_created",
      (data, ctx) => void seen.push({ id: ctx.envelope.id, data, attempt: ctx.attempt }),
    );
    const worker = new Worker(app, t.source(), { logger: silentLogger, publisher: t.publisher() });
    const spy = new HandlerSpy(worker);
    void worker.start();
    stops.push(() => worker.stop());
    await spy.waitFor({ name: "order_created", outcome: "ack", count: 3 });
    expect(seen.map((s) => (s.data as { id: string }).id).sort()).toEqual(["b-1", "b-2", "t-1"]);
    expect(seen.every((s) => s.attempt === 1 && (s.data as { note: string }).note === "<b>&é</b>")).toBe(
      true,
    );
    // A foreign message's id is the one the service gave it.
    expect(seen.map((s) => s.id).sort()).toEqual(sent.map((s) => s.id).sort());
  });

  it("a Mailroom publish is read by the Python client: base64 by default, text with ?encoding=text", async () => {
    const queue = uniqueQueue("py-out");
    const t = await open(queue);
    await t.publisher().publish([{ name: "invoice_requested", data: { orderId: "o-1", amount: 10 } }]);
    const [got] = await runPython(py("azure_receive.py"), [
      "--connection",
      azurite.connectionString,
      "--queue",
      queue,
      "--count",
      "1",
    ]);
    expect(got!.dequeue_count).toBe(1);
    const decoded = JSON.parse(got!.content as string);
    expect(decoded).toMatchObject({
      name: "invoice_requested",
      data: { orderId: "o-1", amount: 10 },
      meta: { id: expect.any(String) },
    });
    const text = await openTransport(azurite.url(queue, "encoding=text"));
    stops.push(() => text.close());
    await text.publisher().publish([{ name: "invoice_requested", data: { orderId: "o-2" } }]);
    const [plain] = await runPython(py("azure_receive.py"), [
      "--connection",
      azurite.connectionString,
      "--queue",
      queue,
      "--count",
      "1",
      "--encoding",
      "text",
    ]);
    expect(JSON.parse(plain!.content as string)).toMatchObject({
      name: "invoice_requested",
      data: { orderId: "o-2" },
    });
    // Nothing left that the Worker would see as undecodable.
    const left = await t.source().receive(10, AbortSignal.timeout(1_000));
    expect(left.filter((d) => isDecodeFailure(d.envelope))).toEqual([]);
  });
});
