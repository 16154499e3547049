import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleScenario } from "../../cli/test/transport-scenario.ts";
import { CREDENTIAL_ENV } from "../src/index.ts";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "../src/testing/index.ts";
import { transportUrl, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  s = await startMnsServer();
  for (const k of Object.values(CREDENTIAL_ENV)) saved[k] = process.env[k];
  // The CLI takes credentials from the environment, as it does on a real deployment.
  process.env[CREDENTIAL_ENV.accessKeyId] = TEST_CREDENTIAL.accessKeyId;
  process.env[CREDENTIAL_ENV.accessKeySecret] = TEST_CREDENTIAL.accessKeySecret;
  delete process.env[CREDENTIAL_ENV.securityToken];
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s.close();
});

describe("the mailroom CLI on an mns+http:// transport (MNS test server)", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end; the secret is never printed", async () => {
    const queue = uniqueQueue("cli");
    const printed = await exampleScenario(transportUrl(s, queue, "create=true&visibility=5s"), {
      statsShows: queue,
    });
    expect(printed).not.toContain(TEST_CREDENTIAL.accessKeySecret);
  }, 90_000);
});
