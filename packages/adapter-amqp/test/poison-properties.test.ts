// Bodies the property-based tests of decode.ts found, sent to a real broker: the worker settles
// each one and keeps running.
import { createApp, silentLogger } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendRaw, sharedBrokerLock, testScope, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const { run } = testScope(afterAll);

describe("awkward bodies from foreign producers", () => {
  it("a body with a UTF-8 byte order mark, named by the type property ranked above the body, is handled and the next message too", async () => {
    const queue = uniqueName("bom");
    const t = await transport(queue, { nameFrom: ["type", "body"] }).connect();
    const app = createApp({ name: "t", logger: silentLogger });
    const seen: unknown[] = [];
    app.handle("order_created", (data) => {
      seen.push(data);
    });
    await sendRaw(queue, `\uFEFF${JSON.stringify({ name: "legacy", data: 7 })}`, { type: "order_created" });
    await sendRaw(queue, JSON.stringify({ id: 8 }), { type: "order_created" });
    const { spy } = run(app, t);
    await spy.waitFor({ name: "order_created", outcome: "ack", count: 2 });
    expect(seen).toEqual([{ name: "legacy", data: 7 }, { id: 8 }]);
  });
});
