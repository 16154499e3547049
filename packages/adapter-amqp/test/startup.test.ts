import { createServer, type Socket } from "node:net";
import { ConfigError, createApp, silentLogger, TransportError, Worker } from "@mailroom/core";
import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AmqpTransport } from "../src/index.ts";
import {
  AMQP_URL,
  brokerUrl,
  closedPort,
  recordingLogger,
  sharedBrokerLock,
  testScope,
  transport,
  uniqueName,
} from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
const scope = testScope(afterAll);

/** What `Source.connect` rejects with (undefined when it resolves), and how long it took. */
async function connectOutcome(url: string, options: ConstructorParameters<typeof AmqpTransport>[1] = {}) {
  const logger = recordingLogger();
  const t = new AmqpTransport(url, { logger, ...options });
  scope.stops.push(() => t.close());
  const started = Date.now();
  const error = await t
    .source()
    .connect(new AbortController().signal)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { error, ms: Date.now() - started, logged: logger.lines };
}

describe("start-up checks (Source.connect)", () => {
  it("a wrong password is a ConfigError at once that names the user, never the password, and logs nothing", async () => {
    const { error, ms, logged } = await connectOutcome(
      brokerUrl({ password: "Wr0ngSecretPw" }, `queue=${uniqueName("pw")}`),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/refused the login of user "guest".*check the user name and password/);
    expect(String(error)).toMatch(/amqp:\/\/guest:\*\*\*@/);
    expect(`${String(error)} ${(error as Error).stack}`).not.toContain("Wr0ngSecretPw");
    expect(ms).toBeLessThan(3_000);
    expect(logged).toEqual([]);
  });

  it("a virtual host that does not exist is a ConfigError naming it", async () => {
    const { error } = await connectOutcome(
      brokerUrl({ vhost: "no-such-vhost" }, `queue=${uniqueName("vh")}`),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/virtual host "no-such-vhost"/);
  });

  it("passive mode: a work queue that does not exist is a ConfigError naming it", async () => {
    const queue = uniqueName("passive-missing");
    const { error } = await connectOutcome(brokerUrl({}, `queue=${queue}&passive=true`));
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(`queue "${queue}" does not exist`);
  });

  it("passive mode: a missing dead-letter queue is a ConfigError, since dead letters would have nowhere to go", async () => {
    const queue = uniqueName("passive-nodlq");
    await (await transport(queue).connect()).close();
    const conn = await connect(AMQP_URL);
    await (await conn.createChannel()).deleteQueue(`${queue}.dlq`);
    await conn.close();
    const { error } = await connectOutcome(brokerUrl({}, `queue=${queue}&passive=true`));
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(`queue "${queue}.dlq" (the dead-letter queue) does not exist`);
  });

  it("nothing listening on the port is a TransportError: waiting may fix it, so the worker retries", async () => {
    const { error, logged } = await connectOutcome(
      brokerUrl({ port: await closedPort() }, `queue=${uniqueName("down")}`),
    );
    expect(error).toBeInstanceOf(TransportError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/ECONNREFUSED.*is the broker running/);
    expect(logged).toEqual([]);
  });

  it("a start-up check stuck on a server that never answers ends with a TransportError as soon as it is aborted", async () => {
    // Accepts the TCP connection and never speaks AMQP: the handshake waits for ever.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const t = new AmqpTransport(brokerUrl({ port }, `queue=${uniqueName("silent")}`), {
      logger: recordingLogger(),
    });
    const controller = new AbortController();
    const check = t.source().connect(controller.signal);
    const settled = check.then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise<void>((resolve) => silent.once("connection", () => resolve()));
    const abortedAt = Date.now();
    controller.abort();
    const error = await settled;
    expect(error).toBeInstanceOf(TransportError);
    expect(String(error)).toMatch(/aborted/);
    expect(Date.now() - abortedAt).toBeLessThan(500);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await t.close();
  });

  it("a reachable broker and a declared topology: connect resolves, and the source then consumes", async () => {
    const queue = uniqueName("ok");
    const { error } = await connectOutcome(brokerUrl({}, `queue=${queue}`));
    expect(error).toBeUndefined();
    transport(queue); // registered for cleanup: connect declared it
  });

  it("a Worker on a wrong password stops at start-up with the one ConfigError line, before any receive; the adapter logs nothing", async () => {
    const logger = recordingLogger();
    const t = new AmqpTransport(
      brokerUrl({ password: "Wr0ngSecretPw" }, `queue=${uniqueName("pw-worker")}`),
      {
        logger,
      },
    );
    scope.stops.push(() => t.close());
    const app = createApp({ name: "t", logger: silentLogger });
    app.handle("never_runs", () => {});
    const worker = new Worker(app, t.source(), { logger: silentLogger, connectTimeoutMs: 10_000 });
    let receiveErrors = 0;
    worker.on("receiveError", () => receiveErrors++);
    const error = await worker.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(worker.state).toBe("stopped");
    expect(receiveErrors).toBe(0);
    expect(logger.lines).toEqual([]);
  });

  it("a publisher or admin command with a wrong password fails at once with a ConfigError, not after every reconnect attempt", async () => {
    const t = new AmqpTransport(brokerUrl({ password: "Wr0ngSecretPw" }, `queue=${uniqueName("pw2")}`), {
      logger: recordingLogger(),
      reconnect: { minMs: 500, maxMs: 500, initialAttempts: 10 },
    });
    scope.stops.push(() => t.close());
    const started = Date.now();
    await expect(t.publisher().publish([{ name: "nope", data: 1 }])).rejects.toBeInstanceOf(ConfigError);
    await expect(t.admin().stats()).rejects.toBeInstanceOf(ConfigError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
