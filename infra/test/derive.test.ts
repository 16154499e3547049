import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveSettings } from "../derive-settings.ts";
import { handlersApp } from "../handlers-app.ts";
import { INFRA } from "./yaml-files.ts";

describe("infra/derive.ts", () => {
  it("derives every template's limits from the example handlers: SQS 10 / 110, MNS 10, Azure maxDequeueCount 5", async () => {
    const s = deriveSettings(await handlersApp());
    expect(s.sqsMaxReceiveCount).toEqual({ standard: 10, fifo: 110 });
    expect(s.mnsMaxReceiveCount).toBe(10);
    expect(s.azure.hostJson.extensions.queues.maxDequeueCount).toBe(5);
    expect(s.azure.serviceBusMaxDeliveryCount).toBe(5);
  });

  it("prints them for a handlers directory given on the command line", () => {
    const run = spawnSync(
      process.execPath,
      [
        "--conditions=@mailroom/source",
        join(INFRA, "derive.ts"),
        "--handlers",
        join(INFRA, "../examples/handlers"),
      ],
      { encoding: "utf8" },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/SQS RedrivePolicy maxReceiveCount: 10 \(standard\), 110 \(FIFO\)/);
    expect(run.stdout).toMatch(/MNS DlqPolicy MaxReceiveCount: 10/);
    expect(run.stdout).toMatch(/"maxDequeueCount": 5/);
  });
});
