import type { Attributes, Span } from "@opentelemetry/api";
import { type Envelope, Headers, type Outgoing } from "../envelope.ts";
import { uuidv7 } from "../ids.ts";
import {
  extractFrom,
  injectInto,
  loadTraceApi,
  messagingSystem,
  TRACER_NAME,
  type TraceApi,
  traceApi,
  tracerRegistered,
} from "./api.ts";
import { consumerContext, untracedRun } from "./consumer.ts";

/** Messages published by handlers of an app with tracing off: no producer span for them. */
const untracedMessages = new WeakSet<Outgoing>();

/**
 * Give a message a handler publishes (`ctx.publish`, `forward`, `reply`) the trace context it
 * continues, unless the caller set a `traceparent` of its own: the active span's (a span the
 * handler started, else the message's consumer span), or — when nothing traces this run, as
 * without an SDK — the incoming message's `traceparent` and `tracestate` as they came, so the
 * chain is never broken. The publisher's producer span (`withProducerSpans`) then continues it.
 */
export function carryTraceContext(
  envelope: Envelope,
  message: Outgoing,
  headers: Record<string, string>,
): void {
  if (headers[Headers.traceparent] !== undefined) return;
  const api = traceApi();
  if (api) {
    const active = api.context.active();
    const ctx = api.trace.getSpan(active) ? active : consumerContext(envelope);
    if (ctx) injectInto(api, ctx, headers);
  }
  if (untracedRun(envelope)) untracedMessages.add(message);
  if (headers[Headers.traceparent] !== undefined) return;
  const traceparent = envelope.headers[Headers.traceparent];
  if (traceparent === undefined) return;
  headers[Headers.traceparent] = traceparent;
  const tracestate = envelope.headers[Headers.tracestate];
  if (tracestate !== undefined) headers[Headers.tracestate] = tracestate;
}

/**
 * Send `messages` through `send` with one PRODUCER span `<name> send` per message when an
 * OpenTelemetry SDK is registered: the span is a child of the trace context the message already
 * carries in its headers (a handler's publish, a caller's own `traceparent`), else of the active
 * context; its context replaces the message's `traceparent` / `tracestate`; it ends when `send`
 * settles, with the error if it rejects. Each message gets its id here when it has none, so the
 * span names it. Without an SDK it is `send(messages)`. Every transport's publisher calls it.
 *
 * @param kind the transport kind, as in `TransportInfo.kind` (`sqs`, `amqp`, `sqlite`, …)
 * @param destinationOf the queue, topic or exchange a message goes to (`messaging.destination.name`)
 */
export function withProducerSpans<T>(
  kind: string,
  destinationOf: (message: Outgoing) => string,
  messages: Outgoing[],
  send: (messages: Outgoing[]) => Promise<T>,
): Promise<T> {
  if (!tracerRegistered() || messages.length === 0) return send(messages);
  const api = traceApi();
  if (!api) {
    return loadTraceApi().then(
      (loaded) => sendInSpans(loaded, kind, destinationOf, messages, send),
      () => send(messages),
    );
  }
  return sendInSpans(api, kind, destinationOf, messages, send);
}

function sendInSpans<T>(
  api: TraceApi,
  kind: string,
  destinationOf: (message: Outgoing) => string,
  messages: Outgoing[],
  send: (messages: Outgoing[]) => Promise<T>,
): Promise<T> {
  const tracer = api.trace.getTracer(TRACER_NAME);
  const active = api.context.active();
  const system = messagingSystem(kind);
  const spans: Span[] = [];
  let only: import("@opentelemetry/api").Context | undefined;
  const traced = messages.map((m) => {
    if (untracedMessages.has(m)) return m;
    const parent = m.headers?.[Headers.traceparent] ? extractFrom(api, active, m.headers) : active;
    const id = m.id ?? uuidv7();
    const attributes: Attributes = {
      "messaging.system": system,
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": destinationOf(m),
      "messaging.message.id": id,
      "mailroom.message.name": m.name,
    };
    if (m.correlationId) attributes["messaging.message.conversation_id"] = m.correlationId;
    if (messages.length > 1) attributes["messaging.batch.message_count"] = messages.length;
    const span = tracer.startSpan(`${m.name} send`, { kind: api.SpanKind.PRODUCER, attributes }, parent);
    spans.push(span);
    const headers: Record<string, string> = { ...m.headers };
    if (api.isSpanContextValid(span.spanContext())) {
      const ctx = api.trace.setSpan(parent, span);
      delete headers[Headers.tracestate];
      injectInto(api, ctx, headers);
      only = ctx;
    }
    return { ...m, id, headers };
  });
  if (spans.length === 0) return send(messages);
  const end = (error?: unknown) => {
    for (const span of spans) {
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : { name: "Error", message: String(error) });
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: String((error as Error)?.message ?? error),
        });
      }
      span.end();
    }
  };
  let sent: Promise<T>;
  try {
    // One message: the send runs in its span, so a client's own spans (HTTP, SDK) nest under it.
    sent = only && spans.length === 1 ? api.context.with(only, send, undefined, traced) : send(traced);
  } catch (error) {
    end(error);
    return Promise.reject(error);
  }
  return sent.then(
    (value) => {
      end();
      return value;
    },
    (error: unknown) => {
      end(error);
      throw error;
    },
  );
}
