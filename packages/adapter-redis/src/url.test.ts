import { ConfigError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { parseRedisUrl } from "./url.ts";

describe("parseRedisUrl", () => {
  it("reads host, port, database and Mailroom's options from the query", () => {
    const parsed = parseRedisUrl(
      "redis://127.0.0.1:6380/2?stream=orders&group=billing&dlq=orders-dead&visibility=45&wait=500ms&create=false&consumer=pod-a",
    );
    expect(parsed.connection).toEqual({ host: "127.0.0.1", port: 6380, db: 2 });
    expect(parsed.options).toEqual({
      stream: "orders",
      group: "billing",
      deadLetterStream: "orders-dead",
      visibilityTimeoutMs: 45_000,
      waitMs: 500,
      create: false,
      consumer: "pod-a",
    });
    expect(parsed.where).toBe("127.0.0.1:6380/2");
  });

  it("defaults to port 6379 and database 0, and takes user and password (decoded) from the URL", () => {
    const parsed = parseRedisUrl("redis://app:p%40ss@cache.internal");
    expect(parsed.connection).toEqual({
      host: "cache.internal",
      port: 6379,
      db: 0,
      username: "app",
      password: "p@ss",
    });
    expect(parsed.options).toEqual({});
  });

  it("turns TLS on for rediss://", () => {
    expect(parseRedisUrl("rediss://cache.example.com:6380/0").connection.tls).toEqual({
      servername: "cache.example.com",
    });
  });

  it("refuses a path that is not a database number, an unknown option and an empty value, never echoing the password", () => {
    const bad = [
      "redis://:secret-pw@host/orders",
      "redis://:secret-pw@host/0?queue=orders",
      "redis://:secret-pw@host/0?stream=",
      "redis://:secret-pw@host/0?visibility=soon",
      "redis://:secret-pw@host/0?create=maybe",
      "amqp://:secret-pw@host/0",
    ];
    for (const url of bad) {
      const error = (() => {
        try {
          parseRedisUrl(url);
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error, url).toBeInstanceOf(ConfigError);
      expect(error!.message).not.toContain("secret-pw");
    }
  });
});
