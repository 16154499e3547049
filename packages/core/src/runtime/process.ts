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

/** Run one single-message handler on a decoded, due envelope. Returns the outcome; never throws. */
export async function runHandler(
  app: App,
  reg: Registration,
  envelope: Envelope,
  runtime: Runtime,
): Promise<Outcome> {
  let data = envelope.data;
  if (reg.schema) {
    const v = validate(reg.schema, data);
    const r = v instanceof Promise ? await v : v;
    if (!r.ok) return { kind: "deadLetter", reason: r.reason };
    data = r.value;
  }
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  if (reg.timeoutMs !== undefined) {
    controller = new AbortController();
    const parent = runtime.signal;
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener("abort", () => controller?.abort(parent.reason), { once: true });
  }
  const ctx = new HandlerContext(envelope, runtime, controller?.signal);
  const request: HandlerRequest = { envelope, data, ctx };
  try {
    const chain = chainFor(app, reg);
    let result: unknown;
    if (controller && reg.timeoutMs !== undefined) {
      const ms = reg.timeoutMs;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new TimeoutError(ms);
          controller?.abort(error);
          reject(error);
        }, ms);
      });
      result = await Promise.race([chain(request), timeout]);
    } else {
      result = chain(request);
      if (result instanceof Promise) result = await result;
    }
    if (envelope.replyTo && result !== undefined && !ctx.replied) await ctx.reply(result);
    return ACK;
  } catch (error) {
    return classifyFailure(error, envelope.attempt, reg);
  } finally {
    if (timer) clearTimeout(timer);
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
  else outcome = await runHandler(app, t, delivery.envelope as Envelope, runtime);
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
