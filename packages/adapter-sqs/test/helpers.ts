import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Codec } from "@mailroom/core";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import { SqsAttributes } from "../src/attributes.ts";
import { toSqsBody } from "../src/body.ts";
import { openTransport, type SqsTransport, type SqsTransportOptions } from "../src/transport.ts";

/** fauxqs accepts any credentials; the SDK's default chain reads these from the environment. */
export function dummyCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
  process.env.AWS_REGION = "us-east-1";
}

/** An in-process fauxqs, reached on 127.0.0.1 only. */
export interface Emulator {
  server: FauxqsServer;
  endpoint: string;
  client: SQSClient;
  /**
   * Create `name` (and `<name>-dlq`, RedrivePolicy maxReceiveCount 10) unless it exists;
   * `deadLetter: false` creates it alone, with no RedrivePolicy.
   */
  createQueue(name: string, options?: QueueOptions): { url: string; dlqUrl: string };
  open(name: string, options?: SqsTransportOptions & QueueOptions): Promise<SqsTransport>;
  /** Send a body as a foreign producer: raw SendMessage, no attributes (binary bodies base64, see README). */
  sendRaw(name: string, body: Uint8Array | string, extra?: { groupId?: string }): Promise<void>;
  stop(): Promise<void>;
}

export interface QueueOptions {
  fifo?: boolean;
  visibilitySeconds?: number;
  maxReceiveCount?: number;
  /** False: no dead-letter queue and no RedrivePolicy. Default true. */
  deadLetter?: boolean;
  codec?: Codec;
}

export async function startEmulator(): Promise<Emulator> {
  dummyCredentials();
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({ region: "us-east-1", endpoint });
  const created = new Map<string, { url: string; dlqUrl: string }>();
  const urlOf = (name: string) => `${endpoint}/000000000000/${name}`;

  const createQueue = (name: string, options: QueueOptions = {}) => {
    const known = created.get(name);
    if (known) return known;
    const fifo = options.fifo ?? name.endsWith(".fifo");
    const base = name.replace(/\.fifo$/, "");
    const dlqName = `${base}-dlq${fifo ? ".fifo" : ""}`;
    const fifoAttrs: Record<string, string> = fifo ? { FifoQueue: "true" } : {};
    const attributes: Record<string, string> = {
      ...fifoAttrs,
      VisibilityTimeout: String(options.visibilitySeconds ?? 30),
    };
    if (options.deadLetter !== false) {
      const dlq = server.createQueue(dlqName, { attributes: { ...fifoAttrs } });
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: dlq.queueArn,
        maxReceiveCount: String(options.maxReceiveCount ?? 10),
      });
    }
    server.createQueue(name, { attributes });
    const out = { url: urlOf(name), dlqUrl: urlOf(dlqName) };
    created.set(name, out);
    return out;
  };

  return {
    server,
    endpoint,
    client,
    createQueue,
    async open(name, options = {}) {
      createQueue(name, options);
      return openTransport(`sqs://us-east-1/${name}?endpoint=${encodeURIComponent(endpoint)}`, options);
    },
    async sendRaw(name, body, extra = {}) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const { body: text, encoding } = toSqsBody(bytes);
      await client.send(
        new SendMessageCommand({
          QueueUrl: urlOf(name),
          MessageBody: text,
          MessageAttributes: encoding
            ? { [SqsAttributes.bodyEncoding]: { DataType: "String", StringValue: encoding } }
            : undefined,
          MessageGroupId: extra.groupId,
          MessageDeduplicationId: extra.groupId ? crypto.randomUUID() : undefined,
        }),
      );
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
