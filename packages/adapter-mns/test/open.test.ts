import { ConfigError, openTransport as coreOpenTransport } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIAL_ENV, MnsTransport, openTransport } from "../src/index.ts";
import { type MnsTestServer, startMnsServer } from "../src/testing/index.ts";
import { transportUrl, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  s = await startMnsServer({
    credentials: [{ accessKeyId: "sts-id", accessKeySecret: "sts-secret", securityToken: "sts-token" }],
  });
  for (const k of Object.values(CREDENTIAL_ENV)) saved[k] = process.env[k];
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await s.close();
});

describe("opening an MNS transport", () => {
  it("core's openTransport loads this adapter for mns+http:// and takes AccessKey and STS token from the environment", async () => {
    process.env[CREDENTIAL_ENV.accessKeyId] = "sts-id";
    process.env[CREDENTIAL_ENV.accessKeySecret] = "sts-secret";
    process.env[CREDENTIAL_ENV.securityToken] = "sts-token";
    const queue = uniqueQueue("env");
    const t = await coreOpenTransport(transportUrl(s, queue, "create=true&visibility=7s"));
    expect(t).toBeInstanceOf(MnsTransport);
    expect(t.kind).toBe("mns");
    await t.publisher().publish([{ name: "x_y", data: 1 }]);
    expect(s.queues.get(queue)!.messages()).toHaveLength(1);
    await t.close();
  });

  it("reads the queue's visibility timeout when none is given", async () => {
    const queue = uniqueQueue("vt");
    const keys = { accessKeyId: "sts-id", accessKeySecret: "sts-secret", securityToken: "sts-token" };
    await (await openTransport(transportUrl(s, queue, "create=true&visibility=42s"), keys)).close();
    const t = await openTransport(transportUrl(s, queue), keys);
    expect(t.source().visibilityTimeoutMs).toBe(42_000);
  });

  it("an existing queue's own visibility timeout wins over the one asked for with create", async () => {
    const queue = uniqueQueue("vtexists");
    const keys = { accessKeyId: "sts-id", accessKeySecret: "sts-secret", securityToken: "sts-token" };
    await (await openTransport(transportUrl(s, queue, "create=true&visibility=42s"), keys)).close();
    const t = await openTransport(transportUrl(s, queue, "create=true&visibility=10s"), keys);
    expect(t.source().visibilityTimeoutMs).toBe(42_000);
  });

  it("without the STS token the server refuses: a ConfigError naming the code, and no secret appears in it", async () => {
    const error = (await openTransport(transportUrl(s, uniqueQueue("nosts"), "create=true"), {
      accessKeyId: "sts-id",
      accessKeySecret: "sts-secret",
      securityToken: "",
    }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^MNS refused the credentials \(AccessDenied\)/);
    expect(error.message).not.toContain("sts-secret");
  });

  it("missing credentials are a ConfigError naming the environment variables", async () => {
    for (const k of Object.values(CREDENTIAL_ENV)) delete process.env[k];
    const error = (await openTransport(transportUrl(s, "q")).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("ALIBABA_CLOUD_ACCESS_KEY_ID");
  });

  it("a missing account id is a ConfigError", async () => {
    await expect(
      openTransport("mns+http://127.0.0.1:1/q", { accessKeyId: "a", accessKeySecret: "b" }),
    ).rejects.toThrow(/account id is missing/);
  });
});
