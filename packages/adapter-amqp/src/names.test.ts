import { describe, expect, it } from "vitest";
import { DEFAULT_NAME_ORDER, nameFromProperties, propertyBeforeBody } from "./names.ts";

describe("message name resolution", () => {
  it("reads type first, then a content_type that is not a MIME type", () => {
    expect(nameFromProperties(DEFAULT_NAME_ORDER, { type: "order_created", contentType: "x" })?.name).toBe(
      "order_created",
    );
    expect(nameFromProperties(DEFAULT_NAME_ORDER, { contentType: "order_created" })?.name).toBe(
      "order_created",
    );
    expect(nameFromProperties(DEFAULT_NAME_ORDER, { contentType: "application/json" })).toBeUndefined();
  });

  it("follows the configured order and says when a property outranks the body", () => {
    const order = ["contentType", "body", "type"] as const;
    const hit = nameFromProperties(order, { type: "a", contentType: "b" })!;
    expect(hit.name).toBe("b");
    expect(propertyBeforeBody(order, hit.rank)).toBe(true);
    const typeHit = nameFromProperties(order, { type: "a" })!;
    expect(propertyBeforeBody(order, typeHit.rank)).toBe(false);
  });
});
