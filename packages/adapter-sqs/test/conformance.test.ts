import { runConformance } from "@mailroom/core/conformance";
import { type Emulator, startEmulator } from "./helpers.ts";

let emulator: Emulator | undefined;
const emu = async () => {
  emulator ??= await startEmulator();
  return emulator;
};

runConformance({
  name: "sqs (fauxqs, standard + FIFO)",
  features: { fifo: true, visibilityTimeout: true, minDelayMs: 1000, maxBodyBytes: 256 * 1024 },
  async open(queue, options) {
    const e = await emu();
    const name = options.fifo ? `${queue}.fifo` : queue;
    return e.open(name, {
      fifo: options.fifo,
      visibilitySeconds: Math.ceil(options.visibilityTimeoutMs / 1000),
      ...(options.codec ? { codec: options.codec } : {}),
    });
  },
  async sendRaw(queue, body) {
    const e = await emu();
    e.createQueue(queue);
    await e.sendRaw(queue, body);
  },
  async teardown() {
    await emulator?.stop();
  },
});
