import { isUtf8 } from "node:buffer";
import { runConformance } from "@mailroom/core/conformance";
import { afterAll, beforeAll } from "vitest";
import { openTransport } from "../src/index.ts";
import type { MnsTestServer } from "../src/testing/index.ts";
import { client, server, transportUrl } from "./helpers.ts";

let s: MnsTestServer;
beforeAll(async () => {
  s = await server();
});
afterAll(() => s.close());

runConformance({
  name: "mns (test server through @alicloud/mns)",
  features: {
    fifo: false,
    visibilityTimeout: true,
    minDelayMs: 1000,
    maxBodyBytes: 48 * 1024,
    deadLetterCheck: true,
  },
  async open(queue, options) {
    const seconds = Math.max(1, Math.ceil(options.visibilityTimeoutMs / 1000));
    // Without a dead-letter queue: create the queue alone, and open it without ?create (which would make one).
    if (options.deadLetter === false)
      await client(s).createQueue(queue, { visibilityTimeoutSeconds: seconds });
    const create = options.deadLetter === false ? "" : "create=true&";
    return openTransport(transportUrl(s, queue, `${create}visibility=${seconds}s&wait=2`), {
      accessKeyId: s.credentials[0]!.accessKeyId,
      accessKeySecret: s.credentials[0]!.accessKeySecret,
      ...(options.codec ? { codec: options.codec } : {}),
    });
  },
  async sendRaw(queue, body) {
    // A foreign producer, no Mailroom metadata: text (XML-escaped, as a correct producer must), or
    // base64 for bytes that are not UTF-8 (XML cannot carry them).
    await client(s, { bodyEncoding: isUtf8(body) ? "text" : "base64" }).sendMessage(queue, { body });
  },
  async refuseDeadLetters(queue) {
    // The dead-letter queue stays (the start-up check passes), but sending to it is denied, as a
    // RAM policy without mns:SendMessage on it does.
    s.denySends(`${queue}-dlq`);
  },
});
