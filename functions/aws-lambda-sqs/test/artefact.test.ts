import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFunction, REPO_ROOT } from "../../lib/build-function.ts";
import type { BuiltFunction } from "../../lib/spec.ts";
import { invokeArtefact, OTEL_REGISTERED, type Unpacked, unpackArtefact } from "../../lib/testing/invoke.ts";
import { awsLambdaSqs } from "../function.ts";
import { documentedEvent, receiveAll, recordOf } from "./sqs-events.ts";

const demo = JSON.parse(await readFile(join(REPO_ROOT, "examples/data-all.json"), "utf8")) as Array<{
  name: string;
  data: unknown;
}>;

let out: string;
let built: BuiltFunction;
let lambda: Unpacked;
let server: FauxqsServer;
let endpoint: string;
let sqs: SQSClient;
let queueNumber = 0;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "mailroom-lambda-build-"));
  built = await buildFunction(awsLambdaSqs, {
    handlersDir: join(REPO_ROOT, "examples/handlers"),
    outDir: out,
  });
  // Lambda's Node.js runtime provides the AWS SDK v3; nothing else is there but the zip.
  lambda = await unpackArtefact(built.zip, ["@aws-sdk"]);
  server = await startFauxqs({ port: 0, logger: false });
  endpoint = `http://127.0.0.1:${server.port}`;
  sqs = new SQSClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
  await lambda?.remove();
  if (out) await rm(out, { recursive: true, force: true });
});

/** A queue with a dead-letter queue behind its RedrivePolicy, as infra/aws creates it. */
function createQueues() {
  const name = `orders-${++queueNumber}`;
  const dlq = server.createQueue(`${name}-dlq`);
  const queue = server.createQueue(name, {
    attributes: {
      VisibilityTimeout: "30",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: "8" }),
    },
  });
  return {
    url: `${endpoint}/000000000000/${name}`,
    arn: queue.queueArn,
    dlqUrl: `${endpoint}/000000000000/${name}-dlq`,
  };
}

/** What the function's environment holds on Lambda (credentials of its role, its region). */
const lambdaEnv = (): Record<string, string> => ({
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  MAILROOM_SQS_ENDPOINT: endpoint,
  MAILROOM_LOG_LEVEL: "warn",
});

const lambdaContext = { awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678", functionName: "orders" };

async function invoke(event: SQSEvent, env = lambdaEnv()) {
  return invokeArtefact(lambda.dir, { provider: "lambda", event, context: lambdaContext, env });
}

const nameOf = (body: string) => (JSON.parse(body) as { name: string }).name;

describe(`functions/aws-lambda-sqs: the built zip on Lambda's Node.js runtime (here Node ${process.version})`, () => {
  it("is index.mjs with its lazily loaded chunks, and the AWS SDK left to the runtime", () => {
    expect(built.files).toContain("index.mjs");
    expect(
      built.files.every((f) => f === "index.mjs" || f === "package.json" || f.startsWith("chunks/")),
    ).toBe(true);
    expect(built.byPackage.has("@aws-sdk/client-sqs")).toBe(false);
    expect(built.byPackage.get("@mailroom/core")).toBeGreaterThan(0);
  });

  it("answers the demo messages with batchItemFailures naming only the retried one; the dead letter and the follow-ups reach SQS", async () => {
    const q = createQueues();
    for (const m of demo) {
      await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify(m) }));
    }
    const event: SQSEvent = {
      Records: (await receiveAll(sqs, q.url, demo.length)).map((m) => recordOf(m, q.arn)),
    };
    const flaky = event.Records.find((r) => r.body.includes('"flaky":true'))!;

    const answer = await invoke(event);
    expect(answer).toMatchObject({
      ok: true,
      value: { batchItemFailures: [{ itemIdentifier: flaky.messageId }] },
    });

    // The fraud check over 0.9 went to the dead-letter queue (found through the RedrivePolicy) with its reason.
    const [dead] = await receiveAll(sqs, q.dlqUrl, 1);
    expect(nameOf(dead!.Body!)).toBe("fraud_check");
    expect(dead!.MessageAttributes?.["mailroom-dead-letter-reason"]?.StringValue).toMatch(
      /^permanent_error: fraud score 0.97/,
    );

    // Each order asked for its invoice on the same queue, and the retried payment is visible again after its delay.
    const next = await receiveAll(sqs, q.url, 3);
    expect(next.map((m) => nameOf(m.Body!)).sort()).toEqual([
      "invoice_requested",
      "invoice_requested",
      "payment_captured",
    ]);

    // Lambda delivers the retried record again (receive count 2): the handler's second attempt succeeds.
    const retried = next.find((m) => nameOf(m.Body!) === "payment_captured")!;
    expect(retried.MessageId).toBe(flaky.messageId);
    const again = await invoke({ Records: [recordOf(retried, q.arn)] });
    expect(again).toMatchObject({ ok: true, value: { batchItemFailures: [] } });
  });

  it("dead-letters the developer guide's sample event (bodies that are not Mailroom messages) and reports no failure", async () => {
    const q = createQueues();
    const answer = await invoke(documentedEvent, { ...lambdaEnv(), MAILROOM_DLQ: q.dlqUrl });
    expect(answer).toMatchObject({ ok: true, value: { batchItemFailures: [] } });
    const dead = await receiveAll(sqs, q.dlqUrl, 2);
    expect(dead.map((m) => m.MessageAttributes?.["mailroom-dead-letter-reason"]?.StringValue)).toEqual([
      expect.stringMatching(/^decode_failed: /),
      expect.stringMatching(/^decode_failed: /),
    ]);
    expect(dead.map((m) => m.Body)).toEqual(["Test message.", "Test message."]);
  });

  it("with an OpenTelemetry SDK preloaded (as the Lambda layer does), an order's follow-up is still published", async () => {
    const q = createQueues();
    const order = demo.find((m) => m.name === "order_created")!;
    await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify(order) }));
    const event: SQSEvent = { Records: (await receiveAll(sqs, q.url, 1)).map((m) => recordOf(m, q.arn)) };
    const answer = await invoke(event, { ...lambdaEnv(), NODE_OPTIONS: `--import=${OTEL_REGISTERED}` });
    expect(answer).toMatchObject({ ok: true, value: { batchItemFailures: [] } });
    const [followUp] = await receiveAll(sqs, q.url, 1);
    expect(nameOf(followUp!.Body!)).toBe("invoice_requested");
  });

  it("an event whose records all ack loads no AWS SDK: it runs where the SDK is missing", async () => {
    const bare = await unpackArtefact(built.zip);
    try {
      const ok = demo.filter((m) => m.name === "fraud_check" && (m.data as { score: number }).score < 0.9);
      const event: SQSEvent = {
        Records: ok.map((m, i) => ({ ...documentedEvent.Records[i]!, body: JSON.stringify(m) })),
      };
      const answer = await invokeArtefact(bare.dir, { provider: "lambda", event, context: lambdaContext });
      expect(answer).toMatchObject({ ok: true, value: { batchItemFailures: [] } satisfies SQSBatchResponse });
    } finally {
      await bare.remove();
    }
  });
});
