import { ConfigError, TransportError } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MnsTransport, openTransport } from "../src/index.ts";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "../src/testing/index.ts";
import { client, server, transportUrl, uniqueQueue } from "./helpers.ts";

let s: MnsTestServer;
const opened: MnsTransport[] = [];
beforeAll(async () => {
  s = await server();
});
afterAll(async () => {
  for (const t of opened) await t.close();
  await s.close();
});

async function open(queue: string, query: string, keys = TEST_CREDENTIAL): Promise<MnsTransport> {
  const t = await openTransport(transportUrl(s, queue, `visibility=5s&${query}`), keys);
  opened.push(t);
  return t;
}
const never = new AbortController().signal;
const connectError = (t: MnsTransport) =>
  t
    .source()
    .connect(never)
    .then(
      () => undefined,
      (e: unknown) => e as Error,
    );

describe("mns source start-up check (Source.connect)", () => {
  it("resolves when the queue and its dead-letter queue exist (created with ?create=true)", async () => {
    const t = await open(uniqueQueue("ok"), "create=true");
    await expect(t.source().connect(never)).resolves.toBeUndefined();
  });

  it("a missing queue is a ConfigError of one line naming it and the fix", async () => {
    const queue = uniqueQueue("noqueue");
    const error = await connectError(await open(queue, ""));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(
      new RegExp(`^the MNS queue "${queue}" does not exist at .*\\?create=true$`),
    );
    expect(error!.message).not.toContain("\n");
  });

  it("a missing dead-letter queue is a ConfigError naming it, the default <queue>-dlq or the one given with ?dlq=", async () => {
    const queue = uniqueQueue("nodlq");
    await client(s).createQueue(queue);
    const byDefault = await connectError(await open(queue, ""));
    expect(byDefault).toBeInstanceOf(ConfigError);
    expect(byDefault!.message).toMatch(
      new RegExp(`^the dead-letter queue "${queue}-dlq" of MNS queue "${queue}" does not exist`),
    );
    const named = await connectError(await open(queue, "dlq=elsewhere"));
    expect(named!.message).toMatch(/^the dead-letter queue "elsewhere" of MNS queue/);
  });

  it("refused credentials are a ConfigError that never repeats the secret", async () => {
    const queue = uniqueQueue("badkey");
    await client(s).createQueue(queue);
    const secret = "not-the-right-secret-42";
    const t = await open(queue, "", { accessKeyId: TEST_CREDENTIAL.accessKeyId, accessKeySecret: secret });
    const error = await connectError(t);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(/^MNS refused the credentials \(SignatureDoesNotMatch\) on queue/);
    expect(error!.message).not.toContain(secret);
  });

  it("an unreachable endpoint is a TransportError (the worker waits and retries), not a ConfigError", async () => {
    const gone = await startMnsServer();
    const url = transportUrl(gone, "orders", "visibility=5s");
    await gone.close();
    const t = await openTransport(url, TEST_CREDENTIAL);
    opened.push(t);
    const error = await connectError(t);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).not.toBeInstanceOf(ConfigError);
  });

  it("an aborted signal ends the check with a TransportError", async () => {
    const t = await open(uniqueQueue("abort"), "create=true");
    const ac = new AbortController();
    ac.abort();
    await expect(t.source().connect(ac.signal)).rejects.toBeInstanceOf(TransportError);
  });
});
