import { jsonCodec } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { copyFields, readEntry, timeOfEntry, wireFields } from "./fields.ts";

const pairs = (flat: Array<string | Buffer>): Array<[string, Buffer]> => {
  const out: Array<[string, Buffer]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([String(flat[i]), Buffer.from(flat[i + 1]!)]);
  return out;
};

describe("stream entry fields", () => {
  it("what Mailroom publishes reads back: body, metadata, headers and the FIFO group", () => {
    const wire = jsonCodec().encode({
      id: "m-1",
      name: "order_created",
      data: { id: 7 },
      publishedAt: new Date("2026-01-02T03:04:05.678Z"),
      correlationId: "c-1",
      headers: { traceparent: "00-abc-def-01" },
    });
    const content = readEntry({ id: "1767323045678-0", fields: pairs(wireFields(wire, "g-1") as string[]) });
    expect(content.groupId).toBe("g-1");
    expect(content.bodyField).toBe("body");
    expect(JSON.parse(content.body!.toString())).toEqual({ name: "order_created", data: { id: 7 } });
    expect(content.meta).toMatchObject({
      id: "m-1",
      name: "order_created",
      correlationId: "c-1",
      headers: { traceparent: "00-abc-def-01" },
    });
    expect(content.meta.publishedAt?.toISOString()).toBe("2026-01-02T03:04:05.678Z");
  });

  it("an entry another producer wrote as name + data reads with the entry's id and time", () => {
    const content = readEntry({
      id: "1767323045678-3",
      fields: pairs(["name", "order_created", "data", '{"id":1}', "source", "billing"]),
    });
    expect(content.bodyField).toBe("data");
    expect(content.body!.toString()).toBe('{"id":1}');
    expect(content.meta).toMatchObject({
      id: "1767323045678-3",
      name: "order_created",
      headers: { source: "billing" },
    });
    expect(content.meta.publishedAt).toEqual(new Date(1767323045678));
  });

  it("a header named like a field Mailroom writes is refused at publish, before anything is sent", () => {
    const wire = jsonCodec().encode({
      id: "m",
      name: "x",
      data: 1,
      publishedAt: new Date(),
      headers: { body: "oops" },
    });
    expect(() => wireFields(wire, undefined)).toThrow(/header "body" would overwrite/);
  });

  it("a copy keeps the body bytes and the field they came in, and replaces the headers", () => {
    const content = readEntry({ id: "1-0", fields: pairs(["name", "n", "data", "[1,2]", "x-old", "1"]) });
    const envelope = {
      id: "1-0",
      name: "n",
      data: [1, 2],
      publishedAt: new Date(1),
      attempt: 1,
      headers: { "x-old": "1" },
      transport: { kind: "redis", queue: "s", raw: undefined },
    };
    const copy = readEntry({
      id: "2-0",
      fields: pairs(copyFields(content, envelope, { "mailroom-attempt": "1" }) as Array<string | Buffer>),
    });
    expect(copy.bodyField).toBe("data");
    expect(copy.body!.toString()).toBe("[1,2]");
    expect(copy.meta).toMatchObject({ id: "1-0", name: "n", headers: { "mailroom-attempt": "1" } });
    expect(copy.meta.headers).not.toHaveProperty("x-old");
    expect(copy.meta.publishedAt).toEqual(new Date(1));
  });

  it("an entry id tells its time; anything else does not", () => {
    expect(timeOfEntry("1767323045678-0")).toEqual(new Date(1767323045678));
    expect(timeOfEntry("nonsense")).toBeUndefined();
  });
});
