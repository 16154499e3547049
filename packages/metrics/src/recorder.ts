import {
  type DecodeFailure,
  type DispatchedInvocation,
  type Envelope,
  isDecodeFailure,
  type Middleware,
  type Transport,
  type Worker,
  within,
} from "@mailroom/core";

/** What every figure is labelled with. */
export interface MessageLabels {
  /** The message name (`(undecodable)` for a body that could not be decoded, when no name could be read). */
  readonly name: string;
  /** The transport kind: `sqs`, `amqp`, `mns`, `redis`, `azure-queue`, `sqlite`, `memory`, … */
  readonly transport: string;
  readonly queue: string;
}

/** The outcome a settled message is counted under. */
export type CountedOutcome = "acked" | "retried" | "dead_lettered" | "deferred" | "released";

/** The figures Mailroom reports; Prometheus and OpenTelemetry each implement it once. */
export interface Recorder {
  received(labels: MessageLabels, ageSeconds: number | undefined): void;
  settled(labels: MessageLabels, outcome: CountedOutcome, durationSeconds: number): void;
  inFlight(labels: Pick<MessageLabels, "transport" | "queue">, delta: number): void;
  receiveError(): void;
  settleError(): void;
  reconnect(): void;
}

/** The queue depth reader a recorder polls on collection: `[queue, state, count]`. */
export type DepthReader = () => Promise<Array<{ queue: string; state: DepthState; count: number }>>;
export type DepthState = "ready" | "delayed" | "in_flight" | "dead_lettered";

/** Name, transport and queue of a received message. */
export function labelsOf(envelope: Envelope | DecodeFailure): MessageLabels {
  const name = isDecodeFailure(envelope) ? (envelope.meta.name ?? "(undecodable)") : envelope.name;
  return { name, transport: envelope.transport.kind, queue: envelope.transport.queue };
}

/** Seconds between publishing and now, when the message says when it was published. */
export function ageOf(envelope: Envelope | DecodeFailure, now: number): number | undefined {
  const at = isDecodeFailure(envelope) ? envelope.meta.publishedAt : envelope.publishedAt;
  const ms = at?.getTime();
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  return Math.max(0, now - ms) / 1000;
}

/** The counter an outcome kind goes to. */
export function countedOutcome(kind: string): CountedOutcome {
  switch (kind) {
    case "ack":
      return "acked";
    case "retry":
      return "retried";
    case "deadLetter":
      return "dead_lettered";
    case "defer":
      return "deferred";
    default:
      return "released";
  }
}

/**
 * Count a Worker's messages on `recorder` from its events: received (with the message's age),
 * in flight, outcomes with handler durations, receive and settle errors, reconnects. Returns a
 * function that detaches.
 */
export function attachWorker(worker: Worker, recorder: Recorder): () => void {
  const flying = new WeakMap<object, MessageLabels>();
  const onReceived = (_count: number, deliveries: readonly { envelope: Envelope | DecodeFailure }[]) => {
    const now = Date.now();
    for (const d of deliveries) {
      const labels = labelsOf(d.envelope);
      flying.set(d.envelope, labels);
      recorder.received(labels, ageOf(d.envelope, now));
      recorder.inFlight(labels, 1);
    }
  };
  const onSettled = (info: {
    envelope: Envelope | DecodeFailure;
    outcome: { kind: string };
    durationMs: number;
  }) => {
    const labels = flying.get(info.envelope) ?? labelsOf(info.envelope);
    if (flying.delete(info.envelope)) recorder.inFlight(labels, -1);
    recorder.settled(labels, countedOutcome(info.outcome.kind), info.durationMs / 1000);
  };
  const onReceiveError = () => recorder.receiveError();
  const onSettleError = () => recorder.settleError();
  const onReconnected = () => recorder.reconnect();
  worker.on("received", onReceived);
  worker.on("settled", onSettled);
  worker.on("receiveError", onReceiveError);
  worker.on("settleError", onSettleError);
  worker.on("reconnected", onReconnected);
  return () => {
    worker.off("received", onReceived);
    worker.off("settled", onSettled);
    worker.off("receiveError", onReceiveError);
    worker.off("settleError", onSettleError);
    worker.off("reconnected", onReconnected);
  };
}

/**
 * A middleware that counts push invocations (`toLambda`, `toAliyunFC`, `toAzureFunction`) on
 * `recorder`: each message received (with its age) and settled (with its handler duration), and
 * failed settles. Workers are counted from their events instead (`attachWorker`).
 */
export function pushMiddleware(recorder: Recorder, name: string): Middleware {
  return {
    name,
    dispatched(invocation: DispatchedInvocation) {
      for (const m of invocation.messages) {
        const labels = labelsOf(m.envelope);
        recorder.received(labels, ageOf(m.envelope, m.receivedAt));
        recorder.settled(labels, countedOutcome(m.outcome.kind), (m.finishedAt - m.startedAt) / 1000);
      }
      for (let i = 0; i < invocation.settleErrors; i++) recorder.settleError();
    },
  };
}

/**
 * A depth reader of a transport from its admin `stats()` (ready, delayed, in flight,
 * dead-lettered per queue); undefined where it has none. A read that takes longer than
 * `timeoutMs` (a broker that is down or stalled) is given up, so a scrape never waits on it: that
 * scrape has no depth, the other figures are served.
 */
export function depthReader(transport: Transport, timeoutMs = 2_000): DepthReader | undefined {
  const admin = transport.admin?.();
  if (!admin) return undefined;
  return async () => {
    const stats = await within(
      timeoutMs,
      admin.stats(),
      () => new Error(`queue depth not read within ${timeoutMs} ms`),
    );
    return stats.flatMap((s) => [
      { queue: s.queue, state: "ready" as const, count: s.ready },
      { queue: s.queue, state: "delayed" as const, count: s.delayed },
      { queue: s.queue, state: "in_flight" as const, count: s.inFlight },
      { queue: s.queue, state: "dead_lettered" as const, count: s.deadLettered },
    ]);
  };
}
