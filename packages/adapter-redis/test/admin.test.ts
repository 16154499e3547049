import { afterAll, describe, expect, it } from "vitest";
import type { RedisTransport } from "../src/index.ts";
import { deleteKeys, openStream, plainClient, streamPrefix } from "./helpers.ts";

const prefix = streamPrefix("admin");
const client = plainClient();
const opened: RedisTransport[] = [];

afterAll(async () => {
  for (const t of opened) await t.close();
  await deleteKeys(client, prefix);
  client.disconnect();
});

async function open(stream: string): Promise<RedisTransport> {
  const transport = await openStream(stream, { visibilityTimeoutMs: 30_000, waitMs: 200 });
  opened.push(transport);
  return transport;
}

const never = new AbortController().signal;

describe("stats, dead-letter listing and redrive", () => {
  it("stats count ready, delayed (with FIFO messages parked behind their head) and in-flight entries, and dead letters", async () => {
    const stream = `${prefix}stats`;
    const t = await open(stream);
    const publisher = t.publisher();
    await publisher.publish([
      { name: "a", data: 1, groupId: "g" },
      { name: "a", data: 2, groupId: "g" },
      { name: "b", data: 3 },
      { name: "b", data: 4 },
    ]);
    await publisher.publish([{ name: "later", data: 5 }], { delayMs: 60_000 });
    const source = t.source();
    const taken = await source.receive(2, never);
    // The group's second message is parked behind the first, which is in flight.
    expect(taken).toHaveLength(1);
    expect(await t.admin().stats()).toEqual([
      { queue: stream, ready: 2, delayed: 2, inFlight: 1, deadLettered: 0 },
    ]);
    await taken[0]!.deadLetter("permanent_error: test");
    expect(await t.admin().stats()).toEqual([
      { queue: stream, ready: 3, delayed: 1, inFlight: 0, deadLettered: 1 },
    ]);
  });

  it("an undecodable entry's dead letter keeps its bytes and fields; redrive puts it back as it came, without the dead-letter facts", async () => {
    const stream = `${prefix}poison`;
    const t = await open(stream);
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    await client.xadd(stream, "*", "body", bytes, "source", "legacy");
    const [poison] = await t.source().receive(10, never);
    expect(poison?.envelope).toMatchObject({ failed: true });
    await poison!.deadLetter("decode_failed: body is not valid UTF-8");
    const [letter] = await t.admin().listDeadLetters();
    expect(letter).toMatchObject({
      reason: "decode_failed: body is not valid UTF-8",
      attempts: 1,
      queue: stream,
      headers: { source: "legacy" },
    });
    expect(letter!.deadLetteredAt).toBeInstanceOf(Date);
    expect(await t.admin().redrive()).toBe(1);
    const entries = await client.xrangeBuffer(stream, "-", "+");
    expect(entries).toHaveLength(1);
    const fields = new Map<string, Buffer>();
    const flat = entries[0]![1];
    for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
    expect(fields.get("body")).toEqual(bytes);
    expect(fields.get("source")?.toString()).toBe("legacy");
    expect(
      [...fields.keys()].filter((k) => k.startsWith("mailroom-dead-letter") || k === "mailroom-attempt"),
    ).toEqual([]);
    expect(await client.xlen(`${stream}:dlq`)).toBe(0);
  });
});
