import type { Transport } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { CliError } from "./errors.ts";
import { adminOf, openCliTransport, transportUrl } from "./transport.ts";

describe("transport selection", () => {
  it("takes --transport, else $MAILROOM_TRANSPORT, else the local SQLite queue", () => {
    expect(transportUrl("memory:", { MAILROOM_TRANSPORT: "sqlite:x.db" })).toBe("memory:");
    expect(transportUrl(undefined, { MAILROOM_TRANSPORT: "sqlite:x.db" })).toBe("sqlite:x.db");
    expect(transportUrl(undefined, {})).toBe("sqlite:./.mailroom/queue.db");
  });

  it("says plainly when a transport has no admin tools, without the password", () => {
    const bare = { kind: "amqp", queue: "q" } as unknown as Transport;
    const call = () => adminOf(bare, "amqp://user:hunter2@host/vh", "stats");
    expect(call).toThrow(CliError);
    expect(call).toThrow(
      /mailroom stats is not supported by the "amqp" transport \(amqp:\/\/user:\*\*\*@host\/vh\)/,
    );
  });

  it("rejects an unknown scheme without echoing credentials", async () => {
    const error = await openCliTransport("kafka://user:hunter2@host/topic").catch((e: Error) => e);
    expect(String(error)).toContain('unknown transport scheme "kafka:"');
    expect(String(error)).not.toContain("hunter2");
  });
});
