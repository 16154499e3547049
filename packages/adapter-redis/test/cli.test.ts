import { dlqListCommand } from "@mailroom/cli";
import { afterAll, describe, expect, it } from "vitest";
import { capture, exampleScenario } from "../../cli/test/transport-scenario.ts";
import { deleteKeys, plainClient, streamPrefix, streamUrl } from "./helpers.ts";

const prefix = streamPrefix("cli");
const client = plainClient();

afterAll(async () => {
  await deleteKeys(client, prefix);
  client.disconnect();
});

describe("the mailroom CLI on a redis:// transport", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end", async () => {
    const stream = `${prefix}orders`;
    const url = streamUrl(stream, { visibility: "5s" });
    await exampleScenario(url, { statsShows: stream });
    const after = capture();
    expect(await dlqListCommand({ transport: url, json: true }, after.io)).toBe(0);
    expect(after.out).toHaveLength(0);
    // The redriven dead letter is back in the stream, at attempt 1 again.
    const entries = await client.xrange(stream, "-", "+");
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields).toContain("fraud_check");
    expect(fields).not.toContain("mailroom-dead-letter-reason");
    expect(fields).not.toContain("mailroom-attempt");
  }, 90_000);
});
