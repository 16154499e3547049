import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { lineageScenario } from "../../cli/test/lineage-scenario.ts";
import { AMQP_URL, cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
afterAll(() => cleanup());

describe("the message log on an amqp:// transport", () => {
  it("mailroom run --log-messages records every run (retries through the delay queue, dead letters) and trace prints the tree", async () => {
    const queue = uniqueName("lineage");
    transport(queue); // registered for cleanup
    const dir = mkdtempSync(join(tmpdir(), "mailroom-amqp-lineage-"));
    try {
      await lineageScenario(`${AMQP_URL}?queue=${queue}`, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
