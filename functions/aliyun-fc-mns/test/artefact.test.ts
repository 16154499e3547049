import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MnsClient, openTransport } from "@mailroom/adapter-mns";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "@mailroom/adapter-mns/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunction, REPO_ROOT } from "../../lib/build-function.ts";
import type { BuiltFunction } from "../../lib/spec.ts";
import { invokeArtefact, nodeOfMajor, type Unpacked, unpackArtefact } from "../../lib/testing/invoke.ts";
import { aliyunFcMns } from "../function.ts";
import { documentedTopicEvent, fcContext, queueTriggerEvent } from "./fc-events.ts";

const demo = JSON.parse(await readFile(join(REPO_ROOT, "examples/data-all.json"), "utf8")) as Array<{
  name: string;
  data: unknown;
}>;

// FC's built-in runtime is Node.js 20: run the artefact on a Node 20 where the machine has one.
const runtimeNode = nodeOfMajor(20, "MAILROOM_FC_NODE");

let out: string;
let built: BuiltFunction;
let fc: Unpacked;
let server: MnsTestServer;
let mns: MnsClient;
let queueNumber = 0;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "mailroom-fc-build-"));
  built = await buildFunction(aliyunFcMns, {
    handlersDir: join(REPO_ROOT, "examples/handlers"),
    outDir: out,
  });
  // FC's runtime provides no MNS SDK: the artefact carries its own.
  fc = await unpackArtefact(built.zip);
  server = await startMnsServer();
  mns = new MnsClient({ accountId: server.accountId, endpoint: server.endpoint, ...TEST_CREDENTIAL });
});

afterAll(async () => {
  await server?.close();
  await fc?.remove();
  if (out) await rm(out, { recursive: true, force: true });
});

async function createQueues() {
  const queue = `orders-${++queueNumber}`;
  await mns.createQueue(queue, { visibilityTimeoutSeconds: 30 });
  await mns.createQueue(`${queue}-dlq`);
  return queue;
}

/** The function's environment on FC; its role's credentials come in the context. */
const fcEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  MAILROOM_MNS_ENDPOINT: server.endpoint,
  MAILROOM_LOG_LEVEL: "warn",
  ...extra,
});

function invoke(event: unknown, env = fcEnv()) {
  return invokeArtefact(fc.dir, {
    provider: "fc",
    event,
    context: fcContext(server.accountId, TEST_CREDENTIAL),
    env,
    node: runtimeNode.path,
  });
}

/** The messages now on `queue`, as Mailroom reads them (name, data, headers). */
async function received(queue: string, count: number) {
  const bodies: Array<{ name: string; data: unknown; meta?: { headers?: Record<string, string> } }> = [];
  while (bodies.length < count) {
    for (const m of await mns.batchReceiveMessage(queue, 16, 5)) {
      bodies.push(JSON.parse(new TextDecoder().decode(m.body)));
    }
  }
  return bodies;
}

async function deadLetters(queue: string) {
  const transport = await openTransport(
    `mns+http://${server.endpoint.slice("http://".length)}/${queue}?accountId=${server.accountId}`,
    TEST_CREDENTIAL,
  );
  try {
    return await transport.admin().listDeadLetters({ limit: 16 });
  } finally {
    await transport.close();
  }
}

describe(`functions/aliyun-fc-mns: the built zip on Function Compute's runtime (here Node ${runtimeNode.version})`, () => {
  it("is index.mjs with the MNS SDK bundled beside it", () => {
    expect(built.files).toEqual([
      "index.mjs",
      "node_modules/@alicloud/mns/index.js",
      "node_modules/@alicloud/mns/package.json",
      "package.json",
    ]);
  });

  it("a queue-trigger batch of the demo messages succeeds: the retry is a copy on the queue, the dead letter on <queue>-dlq", async () => {
    const queue = await createQueues();
    const event = demo.map((m, i) => queueTriggerEvent(server.accountId, queue, JSON.stringify(m), i));

    const answer = await invoke(event);
    expect(answer).toMatchObject({
      ok: true,
      value: { acked: 4, deadLettered: 1, deferred: 1, repeated: 0 },
    });

    const [dead] = await deadLetters(queue);
    expect(dead).toMatchObject({
      name: "fraud_check",
      reason: expect.stringMatching(/^permanent_error: fraud score 0.97/),
    });

    const next = await received(queue, 3);
    expect(next.map((m) => m.name).sort()).toEqual([
      "invoice_requested",
      "invoice_requested",
      "payment_captured",
    ]);
    const copy = next.find((m) => m.name === "payment_captured")!;
    expect(copy.meta?.headers?.["mailroom-attempt"]).toBe("1");

    // EventBridge pushes the copy: it carries one run, so the handler's second attempt succeeds.
    const again = await invoke([queueTriggerEvent(server.accountId, queue, JSON.stringify(copy), 99)]);
    expect(again).toMatchObject({ ok: true, value: { acked: 1, deadLettered: 0, deferred: 0 } });
  });

  it("a topic-trigger notification (JSON format) runs its handler and succeeds", async () => {
    const check = demo.find((m) => m.name === "fraud_check")!;
    const answer = await invoke({ ...documentedTopicEvent, Message: JSON.stringify(check) });
    expect(answer).toMatchObject({ ok: true, value: { acked: 1 } });
  });

  it("a topic-trigger retry fails the invocation, so the subscription's notify strategy pushes it again", async () => {
    const flaky = demo.find((m) => m.name === "payment_captured" && (m.data as { flaky?: boolean }).flaky)!;
    const answer = await invoke({
      ...documentedTopicEvent,
      Message: JSON.stringify(flaky),
      MessageId: "2F5B3C082B923D4EAC696B7A6B4A1A5B",
    });
    expect(answer).toMatchObject({
      ok: false,
      error: { name: "FcRetryError", message: expect.stringContaining("payment gateway timed out") },
    });
  });

  it('the documentation\'s topic event (body "mytest", not a Mailroom message) is dead-lettered to MAILROOM_DLQ', async () => {
    const queue = await createQueues();
    const answer = await invoke(documentedTopicEvent, fcEnv({ MAILROOM_DLQ: `${queue}-dlq` }));
    expect(answer).toMatchObject({ ok: true, value: { acked: 0, deadLettered: 1 } });
    const [dead] = await deadLetters(queue);
    expect(dead).toMatchObject({ reason: expect.stringMatching(/^decode_failed: /), queue: "test-topic" });
  });
});
