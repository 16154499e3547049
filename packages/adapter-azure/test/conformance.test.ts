import { isUtf8 } from "node:buffer";
import { runConformance } from "@mailroom/core/conformance";
import { openTransport } from "../src/index.ts";
import { type Azurite, startAzurite } from "./azurite.ts";

let azurite: Azurite | undefined;
const emulator = async () => {
  azurite ??= await startAzurite();
  return azurite;
};
/** Queues whose poison queue is deleted once a worker is past its start-up check. */
const refusing = new Set<string>();

runConformance({
  name: "azure-queue (Azurite through @azure/storage-queue)",
  features: {
    fifo: false,
    visibilityTimeout: true,
    minDelayMs: 1000,
    maxBodyBytes: 64 * 1024,
    deadLetterCheck: true,
  },
  async open(queue, options) {
    const a = await emulator();
    const seconds = Math.max(1, Math.ceil(options.visibilityTimeoutMs / 1000));
    // Without a poison queue: create the queue alone, and open it without ?create (which would make one).
    if (options.deadLetter === false) await a.service().getQueueClient(queue).createIfNotExists();
    const create = options.deadLetter === false ? "" : "create=true&";
    const transport = await openTransport(
      a.url(queue, `${create}visibility=${seconds}s&maxPoll=1s&wait=5s`),
      {
        ...(options.codec ? { codec: options.codec } : {}),
      },
    );
    // A worker checks its poison queue at start-up and would not start without one, so the queue is
    // deleted right after that check: a poison queue deleted under a running worker refuses copies.
    const source = transport.source.bind(transport);
    transport.source = () => {
      const s = source();
      const connect = s.connect.bind(s);
      s.connect = async (signal) => {
        await connect(signal);
        if (refusing.has(queue)) await a.service().getQueueClient(transport.poisonQueue).deleteIfExists();
      };
      return s;
    };
    return transport;
  },
  async sendRaw(queue, body) {
    // A foreign producer with the v12 SDK and no Mailroom metadata: text, or base64 for bytes that are not UTF-8.
    const a = await emulator();
    const client = a.service().getQueueClient(queue);
    await client.createIfNotExists();
    const bytes = Buffer.from(body);
    await client.sendMessage(isUtf8(bytes) ? bytes.toString("utf8") : bytes.toString("base64"));
  },
  async refuseDeadLetters(queue) {
    refusing.add(queue);
  },
  async teardown() {
    await azurite?.stop();
  },
});
