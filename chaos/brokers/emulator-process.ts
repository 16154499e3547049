// An emulator in a process of its own, so the chaos runner can stall it like a broker (SIGSTOP):
// `node --conditions=@mailroom/source emulator-process.ts <sqs|mns>`.
// Prints `{"endpoint":"http://127.0.0.1:<port>"}` once it listens; stops on SIGTERM.
import { Server } from "node:net";
import { startMnsServer } from "@mailroom/adapter-mns/testing";
import { startFauxqs } from "fauxqs";

const kind = process.argv[2];

// fauxqs listens on 0.0.0.0 and has no option for it; the chaos run stays on loopback.
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  const first = args[0];
  if (typeof first === "object" && first !== null && (first as { host?: string }).host === "0.0.0.0") {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof Server.prototype.listen;

let stop: () => Promise<void>;
let endpoint: string;
if (kind === "sqs") {
  const server = await startFauxqs({ port: 0, logger: false });
  endpoint = `http://127.0.0.1:${server.port}`;
  stop = () => server.stop();
} else if (kind === "mns") {
  const server = await startMnsServer({ port: 0 });
  endpoint = server.endpoint;
  stop = () => server.close();
} else {
  throw new Error(`unknown emulator "${kind}": use sqs or mns`);
}
process.once("SIGTERM", () => {
  void stop().then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ endpoint })}\n`);
