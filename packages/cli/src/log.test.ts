import { TransportError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { CliError } from "./errors.ts";
import { formatLogLine, logLevelFromEnv, ordinal, terminalLogger } from "./log.ts";

/** A terminal logger that keeps its lines. */
function recording(options: Parameters<typeof terminalLogger>[1] = {}) {
  const lines: string[] = [];
  return { lines, logger: terminalLogger((l) => lines.push(l), options) };
}

describe("terminalLogger", () => {
  it("prints a receive failure like an outcome line: mark, text, error, how many in a row", () => {
    const { lines, logger } = recording();
    logger.warn({ error: "TransportError: connection reset", consecutive: 3 }, "receive failed; backing off");
    expect(lines).toEqual(["! receive failed; backing off: TransportError: connection reset (3rd in a row)"]);
  });

  it("names the message of a handler's ctx.logger line by name and short id, and shows its fields", () => {
    const { lines, logger } = recording();
    const ctxLogger = logger.child({
      messageId: "01a2b3c4-0000-7000-8000-00000a5e0ac5",
      messageName: "order_created",
    });
    ctxLogger.info({ order: "o-1", amount: 42.5, note: "two words" }, "order received");
    expect(lines).toEqual([
      '· order_created 01a2…5e0ac5 order received (order=o-1, amount=42.5, note="two words")',
    ]);
  });

  it("shows durations in words and an Error object as its name and message", () => {
    const { lines, logger } = recording();
    logger.warn({ error: new TransportError("unreachable"), waitedMs: 1_200, limitMs: 60_000 }, "waiting");
    logger.error(new Error("boom"), "internal error");
    logger.warn({ delayMs: 2_500 }, "slow");
    expect(lines).toEqual([
      "! waiting: TransportError: unreachable (waited 1.2s of 1m)",
      "! internal error: Error: boom",
      "! slow (delay=2.5s)",
    ]);
  });

  it("prints below the level nothing, and says so through isLevelEnabled", () => {
    const { lines, logger } = recording({ level: "warn" });
    logger.debug({}, "debug");
    logger.info({}, "info");
    logger.warn({}, "warn");
    logger.child({ a: 1 }).info({}, "child info");
    expect(lines).toEqual(["! warn"]);
    expect(logger.isLevelEnabled?.("info")).toBe(false);
    expect(logger.isLevelEnabled?.("error")).toBe(true);
    expect(recording({ level: "silent" }).logger.isLevelEnabled?.("error")).toBe(false);
  });

  it("skips the messages its caller prints itself from events", () => {
    const { lines, logger } = recording({ skip: new Set(["the transport is not reachable yet; waiting"]) });
    logger.warn({ error: "x" }, "the transport is not reachable yet; waiting");
    logger.warn({ error: "x" }, "receive failed; backing off");
    expect(lines).toEqual(["! receive failed; backing off: x"]);
  });

  it("keeps one entry on one line and masks credentials, every URL of the line", () => {
    const { lines, logger } = recording();
    logger.warn(
      { error: "Error: first line\n    at somewhere\nsecond", url: "amqp://u:pw1@h/" },
      "lost amqp://u:pw2@h/ and",
    );
    expect(lines).toEqual([
      "! lost amqp://u:***@h/ and: Error: first line at somewhere second (url=amqp://u:***@h/)",
    ]);
  });

  it("accepts pino's string-only call and a throwing writer without throwing", () => {
    const { lines, logger } = recording();
    // pino also takes a bare string; handlers written in JavaScript do that.
    (logger.info as unknown as (msg: string) => void)("plain text");
    expect(lines).toEqual(["· plain text"]);
    const broken = terminalLogger(() => {
      throw new Error("EPIPE");
    });
    expect(() => broken.warn({}, "x")).not.toThrow();
  });
});

describe("log helpers", () => {
  it("ordinal: 1st 2nd 3rd 4th 11th 12th 13th 21st 102nd", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 102].map(ordinal)).toEqual([
      "1st",
      "2nd",
      "3rd",
      "4th",
      "11th",
      "12th",
      "13th",
      "21st",
      "102nd",
    ]);
  });

  it("formatLogLine without text or fields is just the mark", () => {
    expect(formatLogLine("info", {}, undefined)).toBe("·");
  });

  it("MAILROOM_LOG_LEVEL: info when unset, any pino level name, a CliError naming the known ones otherwise", () => {
    expect(logLevelFromEnv({})).toBe("info");
    expect(logLevelFromEnv({ MAILROOM_LOG_LEVEL: "WARN" })).toBe("warn");
    expect(() => logLevelFromEnv({ MAILROOM_LOG_LEVEL: "loud" })).toThrow(CliError);
    expect(() => logLevelFromEnv({ MAILROOM_LOG_LEVEL: "loud" })).toThrow(/use one of trace, debug, info/);
  });
});
