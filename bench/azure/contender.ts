// One contender of bench/azure/run.ts, in its own process. Prints one JSON line of figures.

import { QueueClient } from "@azure/storage-queue";
import { createApp, silentLogger, Worker } from "@mailroom/core";
import { type AzureQueueTransport, openTransport } from "../../packages/adapter-azure/src/index.ts";

const [mode, url, arg, extra] = process.argv.slice(2) as [string, string, string, string | undefined];
const print = (figures: Record<string, number>) => console.log(JSON.stringify(figures));
const transport = (await openTransport(url)) as AzureQueueTransport;

if (mode === "prepare") {
  print({});
} else if (mode === "fill") {
  const total = Number(arg);
  for (let i = 0; i < total; i += 500) {
    await transport.publisher().publish(
      Array.from({ length: Math.min(500, total - i) }, (_, k) => ({
        name: "order_created",
        data: { i: i + k },
      })),
    );
  }
  print({ filled: total });
} else if (mode === "idle") {
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle("order_created", () => {});
  const worker = new Worker(app, transport.source(), {
    publisher: transport.publisher(),
    logger: silentLogger,
  });
  void worker.start();
  // Let the pause double up to maxPoll before counting (100 ms · 2^n reaches 30 s in under a minute).
  const settle = Math.min(60_000, transport.pacer.pacing.maxPollMs * 2.2);
  await new Promise((r) => setTimeout(r, settle));
  // The parent reads its request count at each mark.
  console.log(JSON.stringify({ mark: "begin" }));
  const began = Date.now();
  await new Promise((r) => setTimeout(r, Number(arg) * 1000));
  const measuredMs = Date.now() - began;
  console.log(JSON.stringify({ mark: "end" }));
  await worker.stop();
  print({ measuredMs });
} else if (mode === "worker" || mode === "tuned") {
  const total = Number(arg);
  const app = createApp({ name: "bench", logger: silentLogger });
  app.handle("order_created", () => {});
  const worker = new Worker(app, transport.source(), {
    publisher: transport.publisher(),
    logger: silentLogger,
  });
  let done = 0;
  let began = 0;
  const finished = new Promise<void>((resolve) => {
    worker.on("received", () => {
      if (began === 0) began = Date.now();
    });
    worker.on("settled", () => {
      if (++done === total) resolve();
    });
  });
  void worker.start();
  await finished;
  const ms = Date.now() - began;
  await worker.stop();
  print({ ms });
} else if (mode === "raw") {
  const total = Number(arg);
  const client = new QueueClient(extra!, transport.queue);
  let done = 0;
  const began = Date.now();
  while (done < total) {
    const got = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    await Promise.all(
      got.receivedMessageItems.map(async (m) => {
        JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8"));
        await client.deleteMessage(m.messageId, m.popReceipt);
      }),
    );
    done += got.receivedMessageItems.length;
  }
  print({ ms: Date.now() - began });
}
await transport.close();
