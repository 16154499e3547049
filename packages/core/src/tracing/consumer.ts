import type { Attributes, Link, Context as OtelContext, Span } from "@opentelemetry/api";
import type { App } from "../app.ts";
import type { Envelope } from "../envelope.ts";
import { describeError } from "../errors.ts";
import type { Outcome } from "../runtime/outcome.ts";
import {
  extractFrom,
  loadTraceApi,
  messagingSystem,
  TRACER_NAME,
  type TraceApi,
  traceApi,
  tracerRegistered,
} from "./api.ts";

/** The context of the consumer span each traced envelope runs in: its handler's publishes are its children. */
const consumerContexts = new WeakMap<Envelope, OtelContext>();
/** Envelopes run by an app with tracing turned off while an SDK is registered. */
const untracedEnvelopes = new WeakSet<Envelope>();

/** The context of the consumer span `envelope` runs in, when the runtime traces it. */
export function consumerContext(envelope: Envelope): OtelContext | undefined {
  return consumerContexts.get(envelope);
}

/** True when `envelope` runs in an app that turned tracing off (`createApp({ tracing: false })`) while an SDK is registered. */
export function untracedRun(envelope: Envelope): boolean {
  return untracedEnvelopes.has(envelope);
}

/**
 * Run one message's handler path in a CONSUMER span `<name> process`, child of the trace context
 * the message carries (else of the active one), and record its outcome on the span. Without an
 * SDK registered (or with the app's tracing off) it only calls `run`.
 */
export function traceRun(
  app: App,
  envelope: Envelope,
  run: () => Outcome | Promise<Outcome>,
): Outcome | Promise<Outcome> {
  if (!tracerRegistered()) return run();
  if (!app.tracing) {
    untracedEnvelopes.add(envelope);
    return run();
  }
  const api = traceApi();
  if (!api) return loadTraceApi().then((loaded) => runInSpan(loaded, envelope, run), run);
  return runInSpan(api, envelope, run);
}

function runInSpan(
  api: TraceApi,
  envelope: Envelope,
  run: () => Outcome | Promise<Outcome>,
): Outcome | Promise<Outcome> {
  const parent = extractFrom(api, api.context.active(), envelope.headers);
  const attributes = consumerAttributes(envelope.transport, envelope.name);
  attributes["messaging.message.id"] = envelope.id;
  attributes["messaging.message.conversation_id"] = envelope.correlationId ?? envelope.id;
  attributes["mailroom.attempt"] = envelope.attempt;
  const span = api.trace
    .getTracer(TRACER_NAME)
    .startSpan(`${envelope.name} process`, { kind: api.SpanKind.CONSUMER, attributes }, parent);
  const ctx = api.trace.setSpan(parent, span);
  consumerContexts.set(envelope, ctx);
  let result: Outcome | Promise<Outcome>;
  try {
    result = api.context.with(ctx, run);
  } catch (error) {
    // `run` never throws by contract; the span still ends if it did.
    recordFailure(api, span, error, "mailroom_bug");
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then((outcome) => {
      endWith(api, span, outcome);
      return outcome;
    });
  }
  endWith(api, span, result);
  return result;
}

/**
 * Run a batch handler's call in one CONSUMER span `<name> process` with
 * `messaging.batch.message_count`, linked to each message's own trace context (a batch has many
 * producers, so none is its parent); failed items are recorded on it.
 */
export function traceBatch(
  app: App,
  name: string,
  envelopes: Envelope[],
  run: () => Promise<Outcome[]>,
): Promise<Outcome[]> {
  if (!tracerRegistered() || envelopes.length === 0) return run();
  if (!app.tracing) {
    for (const e of envelopes) untracedEnvelopes.add(e);
    return run();
  }
  const api = traceApi();
  if (!api) return loadTraceApi().then((loaded) => batchInSpan(loaded, name, envelopes, run), run);
  return batchInSpan(api, name, envelopes, run);
}

async function batchInSpan(
  api: TraceApi,
  name: string,
  envelopes: Envelope[],
  run: () => Promise<Outcome[]>,
): Promise<Outcome[]> {
  const active = api.context.active();
  const root = api.ROOT_CONTEXT;
  const links: Link[] = [];
  for (const e of envelopes) {
    const linked = api.trace.getSpanContext(extractFrom(api, root, e.headers));
    if (linked && api.isSpanContextValid(linked)) {
      links.push({ context: linked, attributes: { "messaging.message.id": e.id } });
    }
  }
  const attributes = consumerAttributes(envelopes[0]!.transport, name);
  attributes["messaging.batch.message_count"] = envelopes.length;
  const span = api.trace
    .getTracer(TRACER_NAME)
    .startSpan(`${name} process`, { kind: api.SpanKind.CONSUMER, attributes, links }, active);
  const ctx = api.trace.setSpan(active, span);
  for (const e of envelopes) consumerContexts.set(e, ctx);
  try {
    const outcomes = await api.context.with(ctx, run);
    let failed = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i];
      if (o?.kind !== "retry" && o?.kind !== "deadLetter") continue;
      failed++;
      const id = envelopes[i]!.id;
      if (o.kind === "retry") span.recordException(asException(o.error), undefined);
      else span.recordException({ name: "DeadLetter", message: o.reason });
      span.addEvent("mailroom.item_failed", { "messaging.message.id": id, "mailroom.outcome": o.kind });
    }
    span.setAttribute("mailroom.failed_count", failed);
    if (failed > 0) {
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: `${failed} of ${envelopes.length} messages failed`,
      });
    }
    return outcomes;
  } finally {
    span.end();
  }
}

function consumerAttributes(transport: Envelope["transport"], name: string): Attributes {
  return {
    "messaging.system": messagingSystem(transport.kind),
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    "messaging.destination.name": transport.queue,
    "mailroom.message.name": name,
  };
}

/** Record the outcome on the span and end it: a retry or dead-letter sets status ERROR with an exception event. */
function endWith(api: TraceApi, span: Span, outcome: Outcome): void {
  span.setAttribute("mailroom.outcome", outcome.kind);
  if (outcome.kind === "retry") {
    span.setAttribute("mailroom.retry.delay_ms", outcome.delayMs);
    recordFailure(api, span, outcome.error, `retry: ${describeError(outcome.error)}`);
  } else if (outcome.kind === "deadLetter") {
    span.recordException({ name: "DeadLetter", message: outcome.reason });
    span.setAttribute("error.type", outcome.reason.split(":", 1)[0]!);
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: `dead-letter: ${outcome.reason}` });
  }
  span.end();
}

function recordFailure(api: TraceApi, span: Span, error: unknown, message: string): void {
  const exception = asException(error);
  span.recordException(exception);
  span.setAttribute("error.type", exception.name ?? "Error");
  span.setStatus({ code: api.SpanStatusCode.ERROR, message });
}

function asException(error: unknown): { name?: string; message: string; stack?: string } {
  if (error instanceof Error) return error;
  return { name: "Error", message: describeError(error) };
}
