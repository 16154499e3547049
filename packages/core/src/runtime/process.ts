import type { App, Registration } from "../app.ts";
import { type Envelope, Headers, isDecodeFailure } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type HandlerRequest, type Middleware, runLayers } from "../middleware/middleware.ts";
import { receiveLimit } from "../retry.ts";
import { validate } from "../schema.ts";
import { tracerRegistered } from "../tracing/api.ts";
import { traceRun } from "../tracing/consumer.ts";
import type { Delivery } from "../transport.ts";
import { runBatch } from "./batch.ts";
import { classifyFailure, schemaThrew } from "./classify.ts";
import { HandlerContext, type Runtime } from "./context.ts";
import { type Deadline, deadline } from "./deadline.ts";
import { layersOf } from "./layers.ts";
import { ACK, type Outcome } from "./outcome.ts";

/** A not-before time this close (ms) counts as due: clocks differ a little between machines. */
const NOT_BEFORE_SLACK_MS = 50;

/**
 * Decide what to do with one delivery before any handler runs: poison, not yet due, unknown
 * name, too many receives or attempts. Returns the registration to run, or the outcome.
 */
export function triage(app: App, envelope: Delivery["envelope"], at?: number): Registration | Outcome {
  if (isDecodeFailure(envelope)) return { kind: "deadLetter", reason: envelope.reason };
  const notBefore = envelope.headers[Headers.notBefore];
  if (notBefore !== undefined) {
    const now = at ?? Date.now();
    const due = Date.parse(notBefore);
    if (due - now > NOT_BEFORE_SLACK_MS) return { kind: "defer", delayMs: due - now };
  }
  const reg = app.lookup(envelope.name);
  if (!reg) {
    return app.unknownMessages === "ack"
      ? ACK
      : { kind: "deadLetter", reason: `unknown_message_name: ${envelope.name}` };
  }
  const receives = countedReceives(envelope);
  if (receives !== undefined && receives > receiveLimit(reg.retry)) {
    return {
      kind: "deadLetter",
      reason: `max_receives_exceeded: received ${receives} times, over the limit of ${receiveLimit(reg.retry)} (retry.maxReceives); ${envelope.attempt - 1} handler run(s) seen finish`,
    };
  }
  if (envelope.attempt > reg.retry.maxAttempts) {
    return {
      kind: "deadLetter",
      reason: `max_attempts_exceeded: delivered ${envelope.attempt} times, more than the ${reg.retry.maxAttempts} attempts allowed (earlier runs did not finish)`,
    };
  }
  return reg;
}

/**
 * Receives held against the receive limit, where the transport cannot tell runs: the broker's
 * count less the hops a `not-before` schedule needed (each re-delay in place is one receive).
 */
function countedReceives(envelope: Envelope): number | undefined {
  const { receiveCount, deferHopMs } = envelope.transport;
  if (receiveCount === undefined) return undefined;
  const notBefore = envelope.headers[Headers.notBefore];
  if (notBefore === undefined || !deferHopMs) return receiveCount;
  const span = Date.parse(notBefore) - envelope.publishedAt.getTime();
  const hops = Number.isFinite(span) && span > 0 ? Math.ceil(span / deferHopMs) + 1 : 0;
  return receiveCount - hops;
}

/**
 * Run one single-message handler on a decoded, due envelope. Returns the outcome; never throws
 * and never rejects: a schema, middleware or handler that throws is an outcome. A synchronous
 * handler with a synchronous schema, no middleware and no timeout settles without a promise.
 * When an OpenTelemetry SDK is registered (and the app's `tracing` is on), the run is a consumer
 * span that continues the message's trace.
 */
export function runHandler(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
): Outcome | Promise<Outcome> {
  if (tracerRegistered()) return traceRun(app, envelope, () => validateAndRun(app, reg, envelope, runtime));
  return validateAndRun(app, reg, envelope, runtime);
}

function validateAndRun(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
): Outcome | Promise<Outcome> {
  if (!reg.schema) return invoke(app, reg, envelope, runtime, envelope.data);
  let v: ReturnType<typeof validate>;
  try {
    v = validate(reg.schema, envelope.data);
  } catch (error) {
    return classifyFailure(schemaThrew(reg, error), envelope.attempt, reg);
  }
  if (v instanceof Promise) {
    return v.then(
      (r) => (r.ok ? invoke(app, reg, envelope, runtime, r.value) : dead(r.reason)),
      (error) => classifyFailure(schemaThrew(reg, error), envelope.attempt, reg),
    );
  }
  return v.ok ? invoke(app, reg, envelope, runtime, v.value) : dead(v.reason);
}

function dead(reason: string): Outcome {
  return { kind: "deadLetter", reason };
}

function invoke(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
  data: unknown,
): Outcome | Promise<Outcome> {
  const layers = layersOf(app, reg);
  if (layers.length > 0 || reg.timeoutMs !== undefined)
    return invokeLayered(reg, layers, envelope, runtime, data);
  const ctx = new HandlerContext(envelope, runtime, undefined, reg.codecFor);
  const fn = reg.fn as (data: unknown, ctx: HandlerContext) => unknown;
  let result: unknown;
  try {
    result = fn(data, ctx);
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  }
  if (result instanceof Promise) {
    const failed = (error: unknown) => classifyFailure(error, envelope.attempt, reg);
    // No reply to send (the common case): a settled handler acks, with no closure to make for it.
    if (!envelope.replyTo) return result.then(toAck, failed);
    return result.then((value) => afterRun(envelope, ctx, value, reg), failed);
  }
  return afterRun(envelope, ctx, result, reg);
}

async function invokeLayered(
  reg: Registration,
  layers: readonly Middleware[],
  envelope: Envelope,
  runtime: Runtime,
  data: unknown,
): Promise<Outcome> {
  const limit: Deadline | undefined =
    reg.timeoutMs === undefined ? undefined : deadline(runtime.signal, reg.timeoutMs);
  try {
    const ctx = new HandlerContext(envelope, runtime, limit?.signal, reg.codecFor);
    const request: HandlerRequest = { envelope, data, ctx };
    const fn = reg.fn as (data: unknown, ctx: HandlerContext) => unknown;
    const failed = await runLayers(
      layers,
      [request],
      async ([r], fail) => {
        try {
          const work = fn(r!.data, r!.ctx as HandlerContext);
          r!.result = limit ? await limit.race(work) : await work;
        } catch (error) {
          fail(r!, error);
        }
      },
      false,
    );
    if (failed.has(request)) return classifyFailure(request.error, envelope.attempt, reg);
    return await afterRun(envelope, ctx, request.result, reg);
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  } finally {
    limit?.dispose();
  }
}

function toAck(): Outcome {
  return ACK;
}

/** A successful run acks; an RPC request's return value goes back as the reply first. */
function afterRun(
  envelope: Envelope,
  ctx: HandlerContext,
  result: unknown,
  reg: Registration,
): Outcome | Promise<Outcome> {
  if (!envelope.replyTo || result === undefined || ctx.replied) return ACK;
  try {
    return ctx.reply(result).then(
      () => ACK,
      (error) => classifyFailure(error, envelope.attempt, reg),
    );
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  }
}

/**
 * Apply an outcome to its delivery. `skipped` (a FIFO group mate behind a message that is not
 * done) gives the delivery back uncounted. Rejects with what the transport throws (the broker
 * will redeliver).
 */
export function settle(delivery: Delivery, outcome: Outcome): Promise<void> {
  try {
    switch (outcome.kind) {
      case "ack":
        return delivery.ack();
      case "retry":
        return delivery.retry(outcome.delayMs);
      case "deadLetter":
        return delivery.deadLetter(outcome.reason);
      case "defer":
        return delivery.defer(outcome.delayMs);
      case "release":
      case "skipped":
        return delivery.release();
    }
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What `processDelivery` did with one delivery. */
export interface Processed {
  outcome: Outcome;
  /** Set when settling failed: the transport will redeliver the message. */
  settleError?: unknown;
}

/**
 * Handle one delivery end to end: triage, validate, run the handler through its middleware,
 * settle the delivery, and return the outcome. Never rejects: a failure anywhere on the path is
 * an outcome, and a transport error while settling is returned as `settleError` (the transport
 * will redeliver).
 */
export async function processDelivery(app: App, delivery: Delivery, runtime: Runtime): Promise<Processed> {
  const outcome = await decide(app, delivery, runtime);
  try {
    await settle(delivery, outcome);
    return { outcome };
  } catch (settleError) {
    logSettleFailure(runtime.logger, delivery, outcome, settleError);
    return { outcome, settleError };
  }
}

/** The line a pull runtime writes when settling failed (the transport will redeliver the message). */
export function logSettleFailure(logger: Logger, delivery: Delivery, outcome: Outcome, error: unknown): void {
  logger.warn(
    { queue: delivery.envelope.transport.queue, outcome: outcome.kind, error: describeError(error) },
    "could not settle the message; the transport will redeliver it",
  );
}

/** The outcome of one delivery: triage, then its handler (a batch handler gets a batch of one). */
export async function decide(app: App, delivery: Delivery, runtime: Runtime): Promise<Outcome> {
  return decideNow(app, delivery, runtime);
}

/**
 * `decide` without a promise where none is needed: the outcome itself when triage settles the
 * delivery or the handler returns synchronously, else a promise of it. Never throws and never
 * rejects, so push dispatch can run a whole batch with one promise per message.
 */
export function decideNow(app: App, delivery: Delivery, runtime: Runtime): Outcome | Promise<Outcome> {
  try {
    const t = triage(app, delivery.envelope);
    if ("kind" in t) return t;
    if (t.mode === "batch") {
      return runBatch(app, t, [delivery.envelope as Envelope], runtime).then(
        ([outcome]) => outcome ?? ACK,
        mailroomBug,
      );
    }
    return runHandler(app, t, delivery.envelope as Envelope, runtime);
  } catch (error) {
    return mailroomBug(error);
  }
}

/**
 * `decideNow` for push dispatch: `onOutcome(tag, outcome)` is called once with the delivery's
 * outcome — at once when it is known at once — and the promise returned (undefined when it was
 * called at once) resolves after it. A plain handler (no schema, middleware, timeout or reply)
 * costs one promise reaction: its own promise's. Never rejects.
 */
export function decideWith(
  app: App,
  delivery: Delivery,
  runtime: Runtime,
  onOutcome: (tag: number, outcome: Outcome) => void,
  tag: number,
): Promise<void> | undefined {
  let t: Registration | Outcome;
  try {
    t = triage(app, delivery.envelope);
  } catch (error) {
    onOutcome(tag, mailroomBug(error));
    return undefined;
  }
  if ("kind" in t) {
    onOutcome(tag, t);
    return undefined;
  }
  const envelope = delivery.envelope as Envelope;
  if (
    t.mode === "single" &&
    !t.schema &&
    t.timeoutMs === undefined &&
    !envelope.replyTo &&
    !tracerRegistered()
  ) {
    if (layersOf(app, t).length === 0) return runPlain(t, envelope, runtime, onOutcome, tag);
  }
  const outcome = decideNow(app, delivery, runtime);
  if (!(outcome instanceof Promise)) {
    onOutcome(tag, outcome);
    return undefined;
  }
  return outcome.then((o) => onOutcome(tag, o));
}

/** `invoke` of a plain handler, its outcome straight to `onOutcome`: a return acks. */
function runPlain(
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
  onOutcome: (tag: number, outcome: Outcome) => void,
  tag: number,
): Promise<void> | undefined {
  const fn = reg.fn as (data: unknown, ctx: HandlerContext) => unknown;
  let result: unknown;
  try {
    result = fn(envelope.data, new HandlerContext(envelope, runtime, undefined, reg.codecFor));
  } catch (error) {
    onOutcome(tag, classifyFailure(error, envelope.attempt, reg));
    return undefined;
  }
  if (!(result instanceof Promise)) {
    onOutcome(tag, ACK);
    return undefined;
  }
  return result.then(
    () => onOutcome(tag, ACK),
    (error: unknown) => onOutcome(tag, classifyFailure(error, envelope.attempt, reg)),
  );
}

/** Only a bug in Mailroom gets here; the message is retried, never lost. */
function mailroomBug(error: unknown): Outcome {
  return { kind: "retry", delayMs: 1_000, error };
}
