import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleScenario } from "../../cli/test/transport-scenario.ts";
import { AMQP_URL, cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
afterAll(() => cleanup());

describe("the mailroom CLI on an amqp:// transport", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end; credentials are never printed", async () => {
    const queue = uniqueName("cli");
    transport(queue); // registered for cleanup
    const printed = await exampleScenario(`${AMQP_URL}?queue=${queue}`, { statsShows: queue });
    expect(printed).not.toContain("guest:guest");
  }, 60_000);
});
