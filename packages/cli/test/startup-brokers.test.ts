// `mailroom run`'s start-up checks against the real adapters: RabbitMQ (scripts/services.sh),
// the SQS emulator and the MNS test server, each run in this process and reached by the CLI
// as a child process. The CLI loads the adapters from their sources (the CLI build does not
// build them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokerUrl, closedPort, sharedBrokerLock, uniqueName } from "../../adapter-amqp/test/helpers.ts";
import { CREDENTIAL_ENV } from "../../adapter-mns/src/index.ts";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "../../adapter-mns/src/testing/index.ts";
import { client as mnsClient, transportUrl as mnsUrl, uniqueQueue } from "../../adapter-mns/test/helpers.ts";
import { type Emulator, startEmulator } from "../../adapter-sqs/test/helpers.ts";
import { buildCli, cli, examples, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);
sharedBrokerLock({ beforeAll, afterAll });

const handlers = `${examples}/handlers`;

/** `run` on `url` until it ends; the stdout and the stderr lines. */
async function runOn(url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const { dir } = workdir();
  const r = await cli(["run", "--handlers", handlers, "--transport", url, "--until-empty", ...extra], {
    cwd: dir,
    env,
    fromSources: true,
  });
  return { ...r, lines: r.stderr.trimEnd().split("\n") };
}

describe("mailroom run on RabbitMQ: start-up", () => {
  it("a wrong password: one line naming the user, exit 3, no banner, the password never printed", async () => {
    const r = await runOn(brokerUrl({ password: "Wr0ngSecretPw" }, `queue=${uniqueName("cli-pw")}`));
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^mailroom: .*"guest".*password/);
    expect(r.stderr + r.stdout).not.toContain("Wr0ngSecretPw");
    expect(r.stdout).toBe("");
  }, 30_000);

  it("a virtual host that does not exist: one line naming it, exit 3", async () => {
    const r = await runOn(brokerUrl({ vhost: "no-such-vhost" }, `queue=${uniqueName("cli-vh")}`));
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^mailroom: .*no-such-vhost/);
  }, 30_000);

  it("a passive queue that does not exist: one line naming it, exit 3", async () => {
    const queue = uniqueName("cli-passive");
    const r = await runOn(brokerUrl({}, `queue=${queue}&passive=true`));
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(new RegExp(`^mailroom: .*${queue}`));
  }, 30_000);

  it("send and stats refused by the broker (wrong password, missing vhost) exit 3 like run, with one line", async () => {
    const { dir } = workdir();
    const send = await cli(
      [
        "send",
        "order_created",
        '{"id":"o-1"}',
        "--transport",
        brokerUrl({ password: "Wr0ngSecretPw" }, "queue=x"),
      ],
      { cwd: dir, fromSources: true },
    );
    expect(send.code).toBe(3);
    expect(send.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(send.stderr).not.toContain("Wr0ngSecretPw");
    const stats = await cli(["stats", "--transport", brokerUrl({ vhost: "no-such-vhost" }, "queue=x")], {
      cwd: dir,
      fromSources: true,
    });
    expect(stats.code).toBe(3);
    expect(stats.stderr).toMatch(/^mailroom: .*no-such-vhost/);
  }, 30_000);

  it("a port nothing listens on, --connect-timeout 2s: a waiting line per try, then one line and exit 3", async () => {
    const port = await closedPort();
    const r = await runOn(
      brokerUrl({ port }, `queue=${uniqueName("cli-down")}`),
      ["--connect-timeout", "2s"],
      {
        MAILROOM_PRETTY: "1",
      },
    );
    expect(r.code).toBe(3);
    const waits = r.lines.slice(0, -1);
    expect(waits.length).toBeGreaterThanOrEqual(1);
    for (const line of waits) {
      expect(line).toMatch(
        new RegExp(
          `^… waiting for amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}/?\\?queue=\\S+: .+ \\(retrying for up to [\\d.]+m?s\\)$`,
        ),
      );
    }
    expect(r.lines.at(-1)).toMatch(
      new RegExp(
        `^mailroom: amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}/?\\?queue=\\S+ was not reachable within 2\\.0s; `,
      ),
    );
    expect(r.stderr).not.toContain("guest:guest");
  }, 30_000);
});

describe("mailroom run on SQS (emulator): start-up", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu?.stop());

  it("a queue with no dead-letter queue: one line saying how to fix it, exit 3, before any message is taken", async () => {
    const queue = `cli-nodlq-${process.pid}-${Date.now().toString(36)}`;
    emu.createQueue(queue, { deadLetter: false });
    await emu.sendRaw(queue, JSON.stringify({ name: "order_created", data: { id: "o-1", total: 1 } }));
    const r = await runOn(`sqs://us-east-1/${queue}?endpoint=${encodeURIComponent(emu.endpoint)}`);
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(new RegExp(`^mailroom: .*queue "${queue}" has no dead-letter queue`));
    const ready = emu.server.inspectQueue(queue)!.messages.ready;
    expect(ready.map((m) => m.approximateReceiveCount)).toEqual([0]);
  }, 30_000);
});

describe("mailroom run on MNS (test server): start-up", () => {
  let s: MnsTestServer;
  const env = {
    [CREDENTIAL_ENV.accessKeyId]: TEST_CREDENTIAL.accessKeyId,
    [CREDENTIAL_ENV.accessKeySecret]: TEST_CREDENTIAL.accessKeySecret,
  };
  beforeAll(async () => {
    s = await startMnsServer();
  });
  afterAll(() => s?.close());

  it("a queue whose dead-letter queue does not exist: one line, exit 3", async () => {
    const queue = uniqueQueue("cli-nodlq");
    await mnsClient(s).createQueue(queue);
    const r = await runOn(mnsUrl(s, queue), [], env);
    expect(r.code).toBe(3);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^mailroom: the dead-letter queue "\S+" of MNS queue "\S+" does not exist/);
    expect(r.stderr).not.toContain(TEST_CREDENTIAL.accessKeySecret);
  }, 30_000);
});
