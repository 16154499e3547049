import { describe, expect, it } from "vitest";
import { describeOutcome, formatDuration, shortId, table } from "./format.ts";

describe("format", () => {
  it("formats durations short", () => {
    expect(formatDuration(3)).toBe("3ms");
    expect(formatDuration(1_234)).toBe("1.2s");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(125_000)).toBe("2m 05s");
    expect(formatDuration(60_000)).toBe("1m");
    expect(formatDuration(119_700)).toBe("2m");
  });

  it("shortens ids to head and tail", () => {
    expect(shortId("01a20799-6d95-7200-bf60-3116cc31b978")).toBe("01a2…31b978");
    expect(shortId("m-1")).toBe("m-1");
    expect(shortId(undefined)).toBe("-");
  });

  it("describes outcomes in words", () => {
    expect(describeOutcome({ kind: "ack" }, 1, 3)).toBe("ack");
    expect(describeOutcome({ kind: "ack" }, 2, 3)).toBe("ack on attempt 2");
    expect(describeOutcome({ kind: "retry", delayMs: 1_200, error: new Error("boom") }, 1, 3)).toBe(
      "retry in 1.2s (attempt 1/3): Error: boom",
    );
    expect(describeOutcome({ kind: "deadLetter", reason: "permanent_error: no" }, 1, 3)).toBe(
      "dead-letter: permanent_error: no",
    );
  });

  it("aligns table columns, numbers to the right", () => {
    expect(
      table(
        ["queue", "ready"],
        [
          ["default", 12],
          ["q", 3],
        ],
      ),
    ).toBe(["queue    ready", "default     12", "q            3"].join("\n"));
  });
});
