// Listing a dead-letter queue when one pass over it takes longer than the listing's visibility
// timeout (a big DLQ, a slow network): found by the chaos run, whose listings on a loaded machine
// never returned and kept every dead letter invisible.
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTransport } from "../src/transport.ts";
import { type Emulator, startEmulator } from "./helpers.ts";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());

describe("SqsAdmin on a slow link", () => {
  it("dlq list returns every dead letter once and ends, even when a pass takes longer than the listing visibility", async () => {
    const queue = `admin-slow-${process.pid}`;
    const { dlqUrl } = emu.createQueue(queue);
    for (let batch = 0; batch < 4; batch++) {
      await emu.client.send(
        new SendMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: Array.from({ length: 10 }, (_, i) => ({
            Id: String(i),
            MessageBody: `dead ${batch * 10 + i}`,
          })),
        }),
      );
    }
    const t = await openTransport(`sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emu.endpoint)}`, {
      admin: { listVisibilitySeconds: 1 },
    });
    // 400 ms per request: the 4 receives of one pass outlast the 1 s the listed messages stay
    // hidden, so the first come back while the pass goes on.
    t.client.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((r) => setTimeout(r, 400));
        return next(args);
      },
      { step: "finalizeRequest", name: "slowLink" },
    );
    try {
      const listed = await t.admin().listDeadLetters({ limit: 1000 });
      expect(listed.map((d) => d.body).sort()).toEqual(
        Array.from({ length: 40 }, (_, i) => `dead ${i}`).sort(),
      );
    } finally {
      await t.close();
    }
  }, 60_000);
});
