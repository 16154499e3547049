import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Azurite, startAzurite, uniqueQueue } from "../../../packages/adapter-azure/test/azurite.ts";
import { buildFunction, REPO_ROOT } from "../../lib/build-function.ts";
import type { BuiltFunction } from "../../lib/spec.ts";
import {
  AZURE_FUNCTIONS_CORE,
  invokeArtefact,
  nodeOfMajor,
  type Unpacked,
  unpackArtefact,
} from "../../lib/testing/invoke.ts";
import { azureQueue, hostJsonFor } from "../function.ts";
import { serviceBusInvocation, storageQueueInvocation } from "./invocations.ts";

const demo = JSON.parse(await readFile(join(REPO_ROOT, "examples/data-all.json"), "utf8")) as Array<{
  name: string;
  data: Record<string, unknown>;
}>;
const message = (name: string, pick: (d: Record<string, unknown>) => boolean) =>
  demo.find((m) => m.name === name && pick(m.data))!;

// The Functions Node worker runs Node 20 here; where the machine has one, the artefact runs on it.
const runtimeNode = nodeOfMajor(20, "MAILROOM_AZURE_NODE");

let out: string;
let built: BuiltFunction;
let fn: Unpacked;
let azurite: Azurite;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "mailroom-azure-build-"));
  built = await buildFunction(azureQueue, { handlersDir: join(REPO_ROOT, "examples/handlers"), outDir: out });
  // The worker injects @azure/functions-core; everything else comes from the zip.
  fn = await unpackArtefact(built.zip, [], { "@azure/functions-core": AZURE_FUNCTIONS_CORE });
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
  await fn?.remove();
  if (out) await rm(out, { recursive: true, force: true });
});

async function queues() {
  const queue = uniqueQueue("fn");
  await azurite.service().getQueueClient(queue).create();
  await azurite.service().getQueueClient(`${queue}-poison`).create();
  return queue;
}

function invoke(functionName: string, event: unknown, settings: Record<string, string>) {
  return invokeArtefact(fn.dir, {
    provider: "azure",
    handler: functionName,
    event,
    env: { AzureWebJobsStorage: azurite.connectionString, MAILROOM_LOG_LEVEL: "warn", ...settings },
    node: runtimeNode.path,
  });
}

/** Messages now on a storage queue, decoded as Mailroom writes them (base64 JSON). */
async function peek(queue: string) {
  const { peekedMessageItems } = await azurite
    .service()
    .getQueueClient(queue)
    .peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map(
    (m) =>
      JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")) as {
        name: string;
        meta?: { headers?: Record<string, string> };
      },
  );
}

describe(`functions/azure-queue: the built zip on the Functions Node worker (here Node ${runtimeNode.version})`, () => {
  it("is index.mjs with host.json derived from the handlers and package.json naming the entry", async () => {
    expect(built.files).toEqual(["host.json", "index.mjs", "package.json"]);
    const host = JSON.parse(await readFile(join(built.dir, "host.json"), "utf8"));
    expect(host).toEqual(await hostJsonFor(join(REPO_ROOT, "examples/handlers")));
    expect(host.extensions.queues).toEqual({
      batchSize: 16,
      maxDequeueCount: 5,
      visibilityTimeout: "00:00:01",
      messageEncoding: "base64",
    });
    expect(JSON.parse(await readFile(join(built.dir, "package.json"), "utf8"))).toEqual({
      type: "module",
      main: "index.mjs",
    });
  });

  it("a storage queue trigger invocation of an order runs its handler, returns, and its follow-up lands on the queue", async () => {
    const queue = await queues();
    const order = message("order_created", () => true);
    const answer = await invoke(
      `mailroom-${queue}`,
      storageQueueInvocation(order, 1, "6d3f0a52-0001", `mailroom-${queue}`),
      {
        MAILROOM_STORAGE_QUEUES: queue,
      },
    );
    expect(answer).toMatchObject({
      ok: true,
      value: { response: { returnValue: { json: expect.stringContaining('"acked":1') } } },
    });
    const registered = (
      answer as {
        value: {
          registered: Array<{
            name: string;
            bindings: Record<string, { type: string; queueName?: string; connection?: string }>;
          }>;
        };
      }
    ).value.registered;
    expect(registered.map((r) => r.name)).toEqual([`mailroom-${queue}`]);
    expect(Object.values(registered[0]!.bindings)[0]).toMatchObject({
      type: "queueTrigger",
      queueName: queue,
      connection: "AzureWebJobsStorage",
    });
    expect((await peek(queue)).map((m) => m.name)).toEqual(["invoice_requested"]);
  });

  it("a retry fails the invocation (the host retries after visibilityTimeout); the next dequeue succeeds", async () => {
    const queue = await queues();
    const flaky = message("payment_captured", (d) => d.flaky === true);
    const name = `mailroom-${queue}`;
    const settings = { MAILROOM_STORAGE_QUEUES: queue };
    const first = await invoke(name, storageQueueInvocation(flaky, 1, "6d3f0a52-0002", name), settings);
    expect(first).toMatchObject({
      ok: false,
      error: {
        name: "AzureFunctionRetryError",
        message: expect.stringContaining("payment gateway timed out"),
      },
    });
    const second = await invoke(name, storageQueueInvocation(flaky, 2, "6d3f0a52-0002", name), settings);
    expect(second).toMatchObject({ ok: true });
  });

  it("a PermanentError writes the dead letter with its reason to <queue>-poison, and the invocation returns", async () => {
    const queue = await queues();
    const fraud = message("fraud_check", (d) => (d.score as number) > 0.9);
    const name = `mailroom-${queue}`;
    const answer = await invoke(name, storageQueueInvocation(fraud, 1, "6d3f0a52-0003", name), {
      MAILROOM_STORAGE_QUEUES: queue,
    });
    expect(answer).toMatchObject({
      ok: true,
      value: { response: { returnValue: { json: expect.stringContaining('"deadLettered":1') } } },
    });
    const [dead] = await peek(`${queue}-poison`);
    expect(dead!.name).toBe("fraud_check");
    expect(JSON.stringify(dead)).toMatch(/permanent_error: fraud score 0.97/);
  });

  it("a Service Bus queue trigger invocation's dead letter is written to its poison output binding", async () => {
    const fraud = message("fraud_check", (d) => (d.score as number) > 0.9);
    const answer = await invoke("mailroom-payments", serviceBusInvocation(fraud, 1, "sb-0001"), {
      MAILROOM_STORAGE_QUEUES: "",
      MAILROOM_SERVICE_BUS_QUEUES: "payments",
      ServiceBus: "Endpoint=sb://example.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5",
    });
    expect(answer.ok).toBe(true);
    const { response } = (
      answer as { value: { response: { outputData: Array<{ name: string; data: unknown }> } } }
    ).value;
    expect(response.outputData.map((o) => o.name)).toEqual(["mailroomPoison"]);
    expect(JSON.stringify(response.outputData[0]!.data)).toMatch(/permanent_error: fraud score 0.97/);
  });
});
