import { type App, createApp } from "../app.ts";
import type { Outgoing } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import { silentLogger } from "../logger.ts";
import { Worker, type WorkerOptions } from "../runtime/worker.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import { HandlerSpy } from "../testkit/spy.ts";
import type { DeadLetter, Transport } from "../transport.ts";
import type { ConformanceFeatures, ConformanceTarget, OpenOptions } from "./target.ts";

const defaults: ConformanceFeatures = {
  fifo: false,
  visibilityTimeout: true,
  minDelayMs: 0,
  maxBodyBytes: 1024 * 1024,
  deadLetterCheck: false,
  requests: true,
};

/** What every conformance test uses: the target, its features, and queues / workers it cleans up. */
export class Harness {
  readonly target: ConformanceTarget;
  readonly features: ConformanceFeatures;
  /** The visibility timeout every queue is opened with. */
  readonly vt: number;
  readonly #opened: Array<{ transport: Transport; worker?: Worker }> = [];
  #n = 0;

  constructor(target: ConformanceTarget) {
    this.target = target;
    this.features = { ...defaults, ...target.features };
    this.vt = this.features.visibilityTimeout ? Math.max(1000, this.features.minDelayMs) : 30_000;
  }

  /** A queue name unique to this run and test. */
  queueName(what: string): string {
    return `mr-${what}-${process.pid}-${Date.now().toString(36)}-${this.#n++}`;
  }

  async open(queue: string, options: Partial<OpenOptions> = {}): Promise<Transport> {
    const transport = await this.target.open(queue, { visibilityTimeoutMs: this.vt, ...options });
    this.#opened.push({ transport });
    return transport;
  }

  /** Start a worker (not awaited: it runs until stopped) with a spy on its outcomes. */
  start(app: App, transport: Transport, options: WorkerOptions = {}): { worker: Worker; spy: HandlerSpy } {
    const worker = this.worker(app, transport, options);
    const spy = new HandlerSpy(worker);
    void worker.start().catch(() => {});
    return { worker, spy };
  }

  /** A worker, not started, stopped at the end of the suite. */
  worker(app: App, transport: Transport, options: WorkerOptions = {}): Worker {
    const worker = new Worker(app, transport.source(), {
      concurrency: 4,
      batchSize: 10,
      shutdownTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
      publisher: transport.publisher(),
      logger: silentLogger,
      ...options,
    });
    this.#opened.push({ transport, worker });
    return worker;
  }

  async deadLetters(queue: string, transport: Transport): Promise<DeadLetter[]> {
    if (this.target.deadLetters) return this.target.deadLetters(queue);
    const admin = transport.admin?.();
    if (!admin) throw new Error(`${this.target.name}: provide deadLetters() or an admin() on the transport`);
    return admin.listDeadLetters({ limit: 100 });
  }

  async waitForDeadLetters(queue: string, transport: Transport, count: number): Promise<DeadLetter[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const list = await this.deadLetters(queue, transport);
      if (list.length >= count || Date.now() > deadline) return list;
      await sleep(100);
    }
  }

  /** An app that retries at once unless a test asks otherwise. */
  newApp(): App {
    return createApp({ name: "conformance", logger: silentLogger, retry: { baseDelayMs: 0, maxDelayMs: 0 } });
  }

  /** A message with a fresh id. */
  msg(name: string, data: unknown, extra: Partial<Outgoing> = {}): Outgoing & { id: string } {
    return { id: uuidv7(), name, data, ...extra };
  }

  /**
   * Receive without a worker until something comes or `waitMs` pass (a long poll may answer
   * empty early), give everything back, and return the ids.
   */
  async receiveAll(t: Transport, waitMs: number): Promise<Array<{ id: string | undefined }>> {
    const source = t.source();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitMs);
    const out: Array<{ id: string | undefined }> = [];
    try {
      while (out.length === 0 && !controller.signal.aborted) {
        const got = await source.receive(10, controller.signal);
        for (const d of got) {
          out.push({ id: "failed" in d.envelope ? d.envelope.meta.id : d.envelope.id });
          await d.release();
        }
      }
    } finally {
      clearTimeout(timer);
      // A source left open may take back what it gave back (RabbitMQ's consumer does).
      await source.close();
    }
    return out;
  }

  /** Stop every worker and close every transport the suite opened. */
  async cleanup(): Promise<void> {
    for (const o of this.#opened.reverse()) {
      await o.worker?.stop();
      await o.transport.close().catch(() => {});
    }
    await this.target.teardown?.();
  }
}

/** A minimal Standard Schema, so the suite needs no validation library. */
export const hasNumberN: StandardSchemaV1<unknown, { n: number }> = {
  "~standard": {
    version: 1,
    vendor: "mailroom-conformance",
    validate(value) {
      const n = (value as { n?: unknown } | null)?.n;
      return typeof n === "number"
        ? { value: value as { n: number } }
        : { issues: [{ message: "expected a number", path: ["n"] }] };
    },
  },
};

/** A Standard Schema whose validation throws (as a zod `.transform` that throws does), sync or async. */
export function throwingSchema(mode: "sync" | "async"): StandardSchemaV1 {
  return {
    "~standard": {
      version: 1,
      vendor: "mailroom-conformance",
      validate() {
        if (mode === "sync") throw new Error("transform exploded");
        return Promise.reject(new Error("async refine exploded"));
      },
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
