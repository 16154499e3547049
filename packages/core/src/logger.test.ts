import { afterEach, describe, expect, it } from "vitest";
import { defaultLogger, type Logger, setDefaultLogger, silentLogger } from "./logger.ts";

afterEach(() => setDefaultLogger(undefined));

describe("setDefaultLogger", () => {
  it("makes defaultLogger — what transports log to when given none — return the program's logger, by name", () => {
    const lines: string[] = [];
    const made: string[] = [];
    setDefaultLogger((name) => {
      made.push(name);
      return {
        ...silentLogger,
        warn: (_o, msg) => void lines.push(msg ?? ""),
        child: () => silentLogger,
      } as Logger;
    });
    defaultLogger("amqp:orders").warn({}, "AMQP connection lost; reconnecting");
    expect(made).toEqual(["amqp:orders"]);
    expect(lines).toEqual(["AMQP connection lost; reconnecting"]);
    setDefaultLogger(undefined);
    expect(defaultLogger("x")).not.toBe(silentLogger);
    expect(made).toEqual(["amqp:orders"]);
  });
});
