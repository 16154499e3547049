import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleScenario } from "../../cli/test/transport-scenario.ts";
import { type Azurite, startAzurite, uniqueQueue } from "./azurite.ts";

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.stop();
});

describe("the mailroom CLI on an azure-queue+http:// transport (Azurite)", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end; the account key is never printed", async () => {
    const queue = uniqueQueue("cli");
    // The key in the URL, as a user may paste it: it must never be printed.
    const url = azurite
      .url(queue, "create=true&visibility=5s&maxPoll=500ms&wait=2s")
      .replace("http://", `http://devstoreaccount1:${encodeURIComponent(azurite.key)}@`);
    const printed = await exampleScenario(url, { statsShows: queue });
    expect(printed).not.toContain(azurite.key);
    expect(printed).not.toContain(encodeURIComponent(azurite.key));
  }, 90_000);
});
