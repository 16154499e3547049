import { runConformance } from "@mailroom/core/conformance";
import { type Emulator, startEmulator } from "./helpers.ts";

let emulator: Emulator | undefined;
const emu = async () => {
  emulator ??= await startEmulator();
  return emulator;
};
/** Queues whose dead-letter queue is deleted once a worker is past its start-up check. */
const refusing = new Set<string>();

runConformance({
  name: "sqs (fauxqs, standard + FIFO)",
  features: {
    fifo: true,
    visibilityTimeout: true,
    minDelayMs: 1000,
    maxBodyBytes: 256 * 1024,
    deadLetterCheck: true,
  },
  async open(queue, options) {
    const e = await emu();
    const name = options.fifo ? `${queue}.fifo` : queue;
    const transport = await e.open(name, {
      fifo: options.fifo,
      visibilitySeconds: Math.ceil(options.visibilityTimeoutMs / 1000),
      deadLetter: options.deadLetter,
      ...(options.codec ? { codec: options.codec } : {}),
    });
    // A worker checks its dead-letter queue at start-up and would not start without one, so the
    // queue is deleted right after that check: a DLQ deleted under a running worker.
    const source = transport.source.bind(transport);
    transport.source = () => {
      const s = source();
      const connect = s.connect.bind(s);
      s.connect = async (signal) => {
        await connect(signal);
        if (refusing.has(queue)) e.server.deleteQueue(e.createQueue(name).dlqUrl.split("/").at(-1)!);
      };
      return s;
    };
    return transport;
  },
  async sendRaw(queue, body) {
    const e = await emu();
    e.createQueue(queue);
    await e.sendRaw(queue, body);
  },
  async refuseDeadLetters(queue) {
    refusing.add(queue);
  },
  async teardown() {
    await emulator?.stop();
  },
});
