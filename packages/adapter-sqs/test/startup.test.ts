import { ConfigError, createApp, silentLogger, TransportError, Worker } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
let n = 0;
const name = (what: string) => `start-${what}-${process.pid}-${n++}`;
const url = (queue: string, query = "") =>
  `sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emu.endpoint)}${query}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});

/** Messages of `queue` that no one has received. */
function untouched(queue: string): number {
  const q = emu.server.inspectQueue(queue)!;
  return q.messages.ready.filter((m) => m.approximateReceiveCount === 0).length;
}

describe("an SQS source checks at start-up that it can dead-letter", () => {
  it("a queue with no RedrivePolicy and no ?dlq= is refused with one line that says how to fix it, before any message is taken", async () => {
    const q = name("bare");
    emu.createQueue(q, { deadLetter: false });
    const t = await openTransport(url(q));
    await t.publisher().publish([{ name: "x", data: 1 }]);
    const error = await t
      .source()
      .connect(AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`queue "${q}" has no dead-letter queue`));
    expect((error as Error).message).toMatch(/RedrivePolicy/);
    expect((error as Error).message).toMatch(/\?dlq=/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(untouched(q)).toBe(1);
    await t.close();
  });

  it("a worker on a queue without a dead-letter queue stops at start-up with that error and takes no message", async () => {
    const q = name("worker");
    emu.createQueue(q, { deadLetter: false });
    const t = await openTransport(url(q));
    await t.publisher().publish([{ name: "x", data: 1 }]);
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("x", () => {});
    const worker = new Worker(app, t.source(), { logger: silentLogger });
    try {
      await expect(worker.start()).rejects.toBeInstanceOf(ConfigError);
      expect(untouched(q)).toBe(1);
    } finally {
      await worker.stop();
      await t.close();
    }
  }, 15_000);

  it("a RedrivePolicy whose dead-letter queue was deleted is a ConfigError naming that queue", async () => {
    const q = name("gone");
    emu.createQueue(q);
    emu.server.deleteQueue(`${q}-dlq`);
    const t = await openTransport(url(q));
    const error = await t
      .source()
      .connect(AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`dead-letter queue "${q}-dlq".*does not exist`));
    await t.close();
  });

  it("?dlq= naming a queue that does not exist is a ConfigError", async () => {
    const q = name("typo");
    emu.createQueue(q, { deadLetter: false });
    const t = await openTransport(url(q, "&dlq=no-such-queue"));
    await expect(t.source().connect(AbortSignal.timeout(10_000))).rejects.toThrow(
      /dead-letter queue "no-such-queue".*does not exist/,
    );
    await t.close();
  });

  it("a FIFO queue with a standard ?dlq= is a ConfigError (SQS would refuse every dead letter)", async () => {
    const q = `${name("fifo")}.fifo`;
    const plain = name("plain-dlq");
    emu.createQueue(q, { deadLetter: false });
    emu.createQueue(plain, { deadLetter: false });
    const t = await openTransport(url(q, `&dlq=${plain}`));
    const error = await t
      .source()
      .connect(AbortSignal.timeout(10_000))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/FIFO/);
    await t.close();
  });

  it("resolves with a RedrivePolicy target or a ?dlq= that exists", async () => {
    const q = name("ok");
    emu.createQueue(q);
    const t = await openTransport(url(q));
    await expect(t.source().connect(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
    await t.close();
    const bare = name("ok-bare");
    const dlq = name("ok-dlq");
    emu.createQueue(bare, { deadLetter: false });
    emu.createQueue(dlq, { deadLetter: false });
    const u = await openTransport(url(bare, `&dlq=${dlq}`));
    await expect(u.source().connect(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
    await u.close();
  });

  it("a queue deleted after open is a ConfigError; an endpoint that stopped answering is a TransportError", async () => {
    const other = await startEmulator();
    try {
      const q = name("vanish");
      other.createQueue(q);
      const at = (e: Emulator) => `sqs://us-east-1/${q}?endpoint=${encodeURIComponent(e.endpoint)}`;
      const deleted = await openTransport(at(other));
      other.server.deleteQueue(q);
      await expect(deleted.source().connect(AbortSignal.timeout(10_000))).rejects.toBeInstanceOf(ConfigError);
      await deleted.close();

      other.createQueue(`${q}-2`);
      const down = await openTransport(at(other).replace(q, `${q}-2`), { clientConfig: { maxAttempts: 1 } });
      await other.stop();
      await expect(down.source().connect(AbortSignal.timeout(10_000))).rejects.toBeInstanceOf(TransportError);
      await down.close();
    } finally {
      await other.stop().catch(() => {});
    }
  });
});
