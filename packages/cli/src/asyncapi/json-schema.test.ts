import { join } from "node:path";
import type { StandardSchemaV1 } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rebaseRefs, toJsonSchema } from "./json-schema.ts";

const here = import.meta.dirname;

/** A schema of `vendor` that validates anything, with the extra `~standard` members given. */
function standard(vendor: string, extra: Record<string, unknown> = {}): StandardSchemaV1 {
  return {
    "~standard": { version: 1, vendor, validate: (value: unknown) => ({ value }), ...extra },
  } as StandardSchemaV1;
}

describe("toJsonSchema", () => {
  it("uses the schema's Standard JSON Schema export (zod 4), as producers may send it (input, draft-07), without $schema", () => {
    const schema = z.object({ id: z.string(), tags: z.array(z.string()).optional() });
    expect(toJsonSchema(schema, here)).toEqual({
      type: "object",
      properties: { id: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
      required: ["id"],
    });
  });

  it("a zod schema without the export goes through the handlers' own zod's toJSONSchema", () => {
    const real = z.object({ amount: z.number() });
    const { jsonSchema: _export, ...props } = real["~standard"] as unknown as Record<string, unknown>;
    const older = { "~standard": props, _zod: real._zod } as unknown as StandardSchemaV1;
    expect(toJsonSchema(older, join(here, "../../../../examples/handlers"))).toEqual({
      type: "object",
      properties: { amount: { type: "number" } },
      required: ["amount"],
    });
  });

  it("is {} without a schema, and {} saying why when the schema cannot be converted", () => {
    expect(toJsonSchema(undefined, here)).toEqual({});
    expect(toJsonSchema(standard("valibot"), here)).toEqual({
      description:
        "The handler's valibot schema could not be converted to JSON Schema (the library has no JSON Schema export); the payload is not described here.",
    });
    const throwing = standard("arktype", {
      jsonSchema: {
        input: () => {
          throw new Error("morphs have no JSON Schema");
        },
      },
    });
    expect(toJsonSchema(throwing, here).description).toContain("(morphs have no JSON Schema)");
    expect(toJsonSchema(z.object({ at: z.date() }), here).description).toMatch(/^The handler's zod schema/);
  });
});

describe("rebaseRefs", () => {
  it("moves local references under the schema's place in the document and leaves others", () => {
    const base = "#/components/messages/m/payload";
    expect(
      rebaseRefs(
        { items: [{ $ref: "#" }, { $ref: "#/definitions/Node" }], other: { $ref: "https://x/s.json" } },
        base,
      ),
    ).toEqual({
      items: [{ $ref: base }, { $ref: `${base}/definitions/Node` }],
      other: { $ref: "https://x/s.json" },
    });
  });
});
