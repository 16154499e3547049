import { describe, expect, it } from "vitest";
import { CliError } from "./errors.ts";
import { isMessageShape, parseJsonDocument, parseMessages } from "./messages.ts";

const msg = { name: "order_created", data: { id: "o-1" } };

describe("parseMessages", () => {
  it("reads one message, an array (also pretty-printed) and NDJSON", () => {
    expect(parseMessages(JSON.stringify(msg), "f").map((e) => e.value)).toEqual([msg]);
    expect(parseMessages(JSON.stringify([msg, msg], null, 2), "f")).toHaveLength(2);
    const nd = parseMessages(`${JSON.stringify(msg)}\n\n${JSON.stringify(msg)}\r\n`, "f");
    expect(nd.map((e) => [e.index, e.line])).toEqual([
      [0, 1],
      [1, 3],
    ]);
  });

  it("treats a pretty-printed single object as one document, not NDJSON", () => {
    expect(parseMessages(JSON.stringify(msg, null, 2), "f")).toHaveLength(1);
  });

  it("names the NDJSON line that is not JSON", () => {
    const text = `${JSON.stringify(msg)}\n{"name": oops}\n`;
    expect(() => parseMessages(text, "in.ndjson")).toThrow(/^in\.ndjson:2: not valid JSON/);
  });

  it("gives line and column of an error in a JSON document", () => {
    expect(() => parseMessages('[\n {"name": "a"},\n {name: 1}\n]', "in.json")).toThrow(/^in\.json:3:\d+:/);
  });

  it("refuses empty files and empty arrays", () => {
    expect(() => parseMessages("  \n", "f")).toThrow(CliError);
    expect(() => parseMessages("[]", "f")).toThrow(/empty array/);
  });

  it("strips a byte-order mark", () => {
    expect(parseMessages(`\uFEFF${JSON.stringify(msg)}`, "f")).toHaveLength(1);
    expect(parseJsonDocument('\uFEFF{"a":1}', "f")).toEqual({ a: 1 });
  });
});

describe("isMessageShape", () => {
  it("accepts { name, data } and { name }, nothing else", () => {
    expect(isMessageShape(msg)).toBe(true);
    expect(isMessageShape({ name: "a" })).toBe(true);
    expect(isMessageShape({ name: "a", data: 1, extra: 2 })).toBe(false);
    expect(isMessageShape({ name: 1, data: 1 })).toBe(false);
    expect(isMessageShape([msg])).toBe(false);
    expect(isMessageShape(null)).toBe(false);
  });
});
