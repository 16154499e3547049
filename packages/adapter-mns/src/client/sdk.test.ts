import { describe, expect, it } from "vitest";
import { debugPrintsHeaders } from "./sdk.ts";

describe("debugPrintsHeaders", () => {
  it("spots DEBUG values that make the SDK or httpx print request headers", () => {
    expect(debugPrintsHeaders(undefined)).toBe(false);
    expect(debugPrintsHeaders("express:*")).toBe(false);
    expect(debugPrintsHeaders("mns:*")).toBe(true);
    expect(debugPrintsHeaders("*")).toBe(true);
    expect(debugPrintsHeaders("foo,httpx:header")).toBe(true);
    expect(debugPrintsHeaders("*,-mns:client,-httpx:*")).toBe(false);
  });
});
