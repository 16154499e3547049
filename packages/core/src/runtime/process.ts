import type { App, Registration } from "../app.ts";
import { type Envelope, Headers, isDecodeFailure } from "../envelope.ts";
import { describeError, TimeoutError } from "../errors.ts";
import { compose, type HandlerRequest } from "../middleware/middleware.ts";
import { validate } from "../schema.ts";
import type { Delivery } from "../transport.ts";
import { runBatch } from "./batch.ts";
import { classifyFailure } from "./classify.ts";
import { HandlerContext, type Runtime } from "./context.ts";
import { ACK, type Outcome } from "./outcome.ts";

/** A not-before time this close (ms) counts as due: clocks differ a little between machines. */
const NOT_BEFORE_SLACK_MS = 50;

/**
 * Decide what to do with one delivery before any handler runs: poison, not yet due, unknown
 * name, too many attempts. Returns the registration to run, or the outcome.
 */
export function triage(app: App, envelope: Delivery["envelope"], now = Date.now()): Registration | Outcome {
  if (isDecodeFailure(envelope)) return { kind: "deadLetter", reason: envelope.reason };
  const notBefore = envelope.headers[Headers.notBefore];
  if (notBefore !== undefined) {
    const due = Date.parse(notBefore);
    if (due - now > NOT_BEFORE_SLACK_MS) return { kind: "defer", delayMs: due - now };
  }
  const reg = app.lookup(envelope.name);
  if (!reg) {
    return app.unknownMessages === "ack"
      ? ACK
      : { kind: "deadLetter", reason: `unknown_message_name: ${envelope.name}` };
  }
  if (envelope.attempt > reg.retry.maxAttempts) {
    return {
      kind: "deadLetter",
      reason: `max_attempts_exceeded: delivered ${envelope.attempt} times, more than the ${reg.retry.maxAttempts} attempts allowed (earlier runs did not finish)`,
    };
  }
  return reg;
}

/** Cache of composed handler chains per registration. */
const chains = new WeakMap<Registration, (request: HandlerRequest) => unknown>();

function chainFor(app: App, reg: Registration): (request: HandlerRequest) => unknown {
  let chain = chains.get(reg);
  if (!chain) {
    const fn = reg.fn as (data: unknown, ctx: HandlerContext) => unknown;
    chain = compose([...app.middleware, ...reg.middleware], (req) => fn(req.data, req.ctx as HandlerContext));
    chains.set(reg, chain);
  }
  return chain;
}

/**
 * Run one single-message handler on a decoded, due envelope. Returns the outcome; never throws.
 * A synchronous handler with a synchronous schema and no timeout settles without a promise.
 */
export function runHandler(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
): Outcome | Promise<Outcome> {
  let data = envelope.data;
  if (reg.schema) {
    const v = validate(reg.schema, data);
    if (v instanceof Promise)
      return v.then((r) => (r.ok ? invoke(app, reg, envelope, runtime, r.value) : dead(r.reason)));
    if (!v.ok) return dead(v.reason);
    data = v.value;
  }
  return invoke(app, reg, envelope, runtime, data);
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
  if (reg.timeoutMs !== undefined) return invokeWithTimeout(app, reg, envelope, runtime, data, reg.timeoutMs);
  const ctx = new HandlerContext(envelope, runtime);
  let result: unknown;
  try {
    result = chainFor(app, reg)({ envelope, data, ctx });
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => afterRun(envelope, ctx, value, reg),
      (error) => classifyFailure(error, envelope.attempt, reg),
    );
  }
  return afterRun(envelope, ctx, result, reg);
}

/** A successful run acks; an RPC request's return value goes back as the reply first. */
function afterRun(
  envelope: Envelope,
  ctx: HandlerContext,
  result: unknown,
  reg: Registration,
): Outcome | Promise<Outcome> {
  if (!envelope.replyTo || result === undefined || ctx.replied) return ACK;
  return ctx.reply(result).then(
    () => ACK,
    (error) => classifyFailure(error, envelope.attempt, reg),
  );
}

async function invokeWithTimeout(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
  data: unknown,
  ms: number,
): Promise<Outcome> {
  const controller = new AbortController();
  const parent = runtime.signal;
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener("abort", () => controller.abort(parent.reason), { once: true });
  const ctx = new HandlerContext(envelope, runtime, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TimeoutError(ms);
        controller.abort(error);
        reject(error);
      }, ms);
    });
    const result = await Promise.race([chainFor(app, reg)({ envelope, data, ctx }), timeout]);
    return await afterRun(envelope, ctx, result, reg);
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  } finally {
    clearTimeout(timer);
  }
}

/** Apply an outcome to its delivery. Throws what the transport throws (the broker will redeliver). */
export function settle(delivery: Delivery, outcome: Outcome): Promise<void> {
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
      return delivery.release();
    case "skipped":
      return Promise.resolve();
  }
}

/**
 * Handle one delivery end to end: triage, validate, run the handler through its middleware,
 * settle the delivery, and return the outcome. Never throws: a transport error while settling
 * is logged and reported as `settleError` (the transport will redeliver).
 */
export async function processDelivery(
  app: App,
  delivery: Delivery,
  runtime: Runtime,
): Promise<{ outcome: Outcome; settleError?: unknown }> {
  const t = triage(app, delivery.envelope);
  let outcome: Outcome;
  if ("kind" in t) outcome = t;
  else if (t.mode === "batch") outcome = await runBatchOfOne(t, delivery.envelope as Envelope, runtime);
  else {
    const o = runHandler(app, t, delivery.envelope as Envelope, runtime);
    outcome = o instanceof Promise ? await o : o;
  }
  try {
    await settle(delivery, outcome);
    return { outcome };
  } catch (settleError) {
    runtime.logger.warn(
      { queue: delivery.envelope.transport.queue, outcome: outcome.kind, error: describeError(settleError) },
      "could not settle the message; the transport will redeliver it",
    );
    return { outcome, settleError };
  }
}

async function runBatchOfOne(reg: Registration, envelope: Envelope, runtime: Runtime): Promise<Outcome> {
  const [outcome] = await runBatch(reg, [envelope], runtime);
  return outcome ?? ACK;
}
