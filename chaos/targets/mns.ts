import { isUtf8 } from "node:buffer";
import { MnsClient } from "@mailroom/adapter-mns";
import { TEST_CREDENTIAL } from "@mailroom/adapter-mns/testing";
import { openTransport } from "@mailroom/core";
import { EmulatorProcess } from "../brokers/emulator.ts";
import type { ChaosTarget } from "./target.ts";

const ACCOUNT = "1234567890123456";
const credentials = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_CREDENTIAL.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_CREDENTIAL.accessKeySecret,
};

/**
 * Aliyun MNS as the adapter's MNS-protocol test server (it checks every request's signature) in
 * a process of its own, stalled with SIGSTOP. It keeps its queues in memory, so it is not
 * restarted: a restart would be a new, empty MNS, not the same one back.
 */
export const mnsTarget: ChaosTarget = {
  name: "mns",
  async start({ runId, visibilityMs }) {
    Object.assign(process.env, credentials);
    const emulator = await EmulatorProcess.start("mns");
    const queue = `chaos-${runId}`;
    const host = emulator.endpoint.slice("http://".length);
    const seconds = Math.ceil(visibilityMs / 1000);
    const url = `mns+http://${host}/${queue}?accountId=${ACCOUNT}&create=true&visibility=${seconds}s`;
    const client = (binary: boolean) =>
      new MnsClient({
        accountId: ACCOUNT,
        endpoint: emulator.endpoint,
        ...TEST_CREDENTIAL,
        bodyEncoding: binary ? "base64" : "text",
      });
    return {
      workers: { kind: "process", url, env: credentials },
      binaryBodies: true,
      open: () => openTransport(url),
      async sendRaw(bytes) {
        await client(!isUtf8(bytes)).sendMessage(queue, { body: bytes });
      },
      broker: { stall: (ms) => emulator.stall(ms) },
      stop: () => emulator.stop(),
    };
  },
};
