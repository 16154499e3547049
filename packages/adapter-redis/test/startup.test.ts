import { ConfigError, createApp, RefusedError, silentLogger, TransportError, Worker } from "@mailroom/core";
import { afterAll, describe, expect, it } from "vitest";
import { openTransport, type RedisTransport } from "../src/index.ts";
import {
  closedPort,
  deleteKeys,
  openStream,
  plainClient,
  silentServer,
  streamPrefix,
  streamUrl,
} from "./helpers.ts";

const prefix = streamPrefix("start");
const client = plainClient();
const opened: RedisTransport[] = [];
const user = `mrt-user-${process.pid}`;

afterAll(async () => {
  for (const t of opened) await t.close();
  await client.call("ACL", "DELUSER", user);
  await deleteKeys(client, prefix);
  client.disconnect();
});

/** What the start-up check of a source on `url` rejects with (undefined when it passes). */
async function checkOutcome(url: string): Promise<unknown> {
  const transport = await openTransport(url);
  opened.push(transport);
  return transport
    .source()
    .connect(new AbortController().signal)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
}

/** `REDIS_URL` with other credentials, port or database. */
function serverUrl(
  change: { username?: string; password?: string; port?: number; db?: number },
  stream: string,
) {
  const url = new URL(streamUrl(stream));
  if (change.username !== undefined) url.username = change.username;
  if (change.password !== undefined) url.password = change.password;
  if (change.port !== undefined) url.port = String(change.port);
  if (change.db !== undefined) url.pathname = `/${change.db}`;
  return url.toString();
}

describe("start-up checks (Source.connect)", () => {
  it("refused credentials are a RefusedError on one line that never repeats the password", async () => {
    const error = await checkOutcome(
      serverUrl({ username: "nobody", password: "Wr0ngSecretPw" }, `${prefix}pw`),
    );
    expect(error).toBeInstanceOf(RefusedError);
    expect(String(error)).toMatch(/refused the credentials of the URL \(WRONGPASS/);
    expect(String(error)).not.toMatch(/\n/);
    expect(`${String(error)} ${(error as Error).stack}`).not.toContain("Wr0ngSecretPw");
  });

  it("a database the server does not have is a RefusedError, where ioredis alone would use database 0", async () => {
    const error = await checkOutcome(serverUrl({ db: 999 }, `${prefix}db`));
    expect(error).toBeInstanceOf(RefusedError);
    expect(String(error)).toMatch(/has no database 999/);
    const publishing = await openTransport(serverUrl({ db: 999 }, `${prefix}db`));
    opened.push(publishing);
    await expect(publishing.publisher().publish([{ name: "x", data: 1 }])).rejects.toBeInstanceOf(
      RefusedError,
    );
    expect(await client.exists(`${prefix}db`)).toBe(0);
  });

  it("with ?create=false a missing stream, or a stream without the group, is a RefusedError that says how to create them", async () => {
    const stream = `${prefix}nocreate`;
    const missing = await checkOutcome(streamUrl(stream, { create: "false" }));
    expect(missing).toBeInstanceOf(RefusedError);
    expect(String(missing)).toContain(`XGROUP CREATE ${stream} mailroom 0 MKSTREAM`);
    await client.xadd(stream, "*", "body", "{}");
    expect(await checkOutcome(streamUrl(stream, { create: "false" }))).toBeInstanceOf(RefusedError);
    await client.xgroup("CREATE", stream, "mailroom", "0");
    expect(await checkOutcome(streamUrl(stream, { create: "false" }))).toBeUndefined();
  });

  it("by default the stream and group are created reading from the first entry: what was published before any worker ran is handled", async () => {
    const stream = `${prefix}backlog`;
    const early = await openStream(stream);
    opened.push(early);
    await early.publisher().publish([{ id: "early-1", name: "conf_early", data: { n: 1 } }]);
    const t = await openStream(stream);
    opened.push(t);
    const app = createApp({ name: "startup", logger: silentLogger });
    const seen: string[] = [];
    app.handle("conf_early", (_d, ctx) => {
      seen.push(ctx.envelope.id);
    });
    const worker = new Worker(app, t.source(), { untilEmpty: true, logger: silentLogger });
    await worker.start();
    expect(seen).toEqual(["early-1"]);
  });

  it("a key Mailroom keeps beside the stream holding another type stops the check, naming the key and what it is for", async () => {
    const stream = `${prefix}wrongtype`;
    await client.set(`${stream}:dlq`, "not a stream");
    const error = await checkOutcome(streamUrl(stream));
    expect(error).toBeInstanceOf(RefusedError);
    expect(String(error)).toContain(`the key "${stream}:dlq"`);
    expect(String(error)).toMatch(/holds a string, but Mailroom keeps the dead-letter stream/);
  });

  it("a user without access to the stream's keys is a RefusedError (NOPERM)", async () => {
    await client.call("ACL", "SETUSER", user, "on", ">mrt-pw", "~elsewhere:*", "+@all");
    const error = await checkOutcome(serverUrl({ username: user, password: "mrt-pw" }, `${prefix}noperm`));
    expect(error).toBeInstanceOf(RefusedError);
    expect(String(error)).toMatch(/NOPERM/);
  });

  it("nothing listening is a TransportError, which a worker waits for up to connectTimeoutMs, saying so", async () => {
    const url = serverUrl({ port: await closedPort() }, `${prefix}down`);
    const error = await checkOutcome(url);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/is not reachable: .*ECONNREFUSED/);
    const t = await openTransport(url);
    opened.push(t);
    const worker = new Worker(createApp({ name: "down", logger: silentLogger }), t.source(), {
      connectTimeoutMs: 1_500,
      logger: silentLogger,
    });
    let waits = 0;
    worker.on("waiting", () => {
      waits++;
    });
    const failure = await worker.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TransportError);
    expect(String(failure)).toMatch(/not reachable within 2 s \(connectTimeoutMs\)/);
    expect(waits).toBeGreaterThanOrEqual(1);
  });

  it("an aborted check of a server that accepts and never answers rejects at once", async () => {
    const server = await silentServer();
    try {
      const t = await openTransport(serverUrl({ port: server.port }, `${prefix}silent`));
      opened.push(t);
      const abort = new AbortController();
      const began = Date.now();
      const outcome = t
        .source()
        .connect(abort.signal)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      setTimeout(() => abort.abort(), 200);
      expect(await outcome).toBeInstanceOf(TransportError);
      expect(Date.now() - began).toBeLessThan(1_500);
    } finally {
      await server.close();
    }
  });
});
