import { runConformance } from "@mailroom/core/conformance";
import { deleteKeys, openStream, plainClient, streamPrefix } from "./helpers.ts";

const prefix = streamPrefix("conf");
const client = plainClient();
/** Streams whose dead-letter stream is made to refuse writes once a worker is past its start-up check. */
const refusing = new Set<string>();

runConformance({
  name: "redis (streams, consumer group)",
  features: { fifo: true, visibilityTimeout: true, minDelayMs: 0, deadLetterCheck: false },
  async open(queue, options) {
    const stream = prefix + queue;
    const transport = await openStream(stream, {
      visibilityTimeoutMs: options.visibilityTimeoutMs,
      ...(options.codec ? { codec: options.codec } : {}),
    });
    // The start-up check refuses a dead-letter key that is not a stream, so the key turns into a
    // string only after it: every XADD to it then fails with WRONGTYPE under a running worker.
    const source = transport.source.bind(transport);
    transport.source = () => {
      const s = source();
      const connect = s.connect.bind(s);
      s.connect = async (signal) => {
        await connect(signal);
        if (refusing.has(queue)) await client.set(transport.context.keys.deadLetters, "not a stream");
      };
      return s;
    };
    return transport;
  },
  async sendRaw(queue, body) {
    await client.xadd(prefix + queue, "*", "body", Buffer.from(body));
  },
  async refuseDeadLetters(queue) {
    refusing.add(queue);
  },
  async teardown() {
    await deleteKeys(client, prefix);
    client.disconnect();
  },
});
