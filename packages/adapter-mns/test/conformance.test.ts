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
  features: { fifo: false, visibilityTimeout: true, minDelayMs: 1000, maxBodyBytes: 48 * 1024 },
  async open(queue, options) {
    const seconds = Math.max(1, Math.ceil(options.visibilityTimeoutMs / 1000));
    return openTransport(transportUrl(s, queue, `create=true&visibility=${seconds}s&wait=2`), {
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
});
