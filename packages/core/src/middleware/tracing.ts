import type { Tracer } from "@opentelemetry/api";
import {
  anythingRegistered,
  extractFrom,
  injectInto,
  loadTraceApi,
  messagingSystem,
  TRACER_NAME,
  traceApi,
  tracerRegistered,
} from "../tracing/api.ts";
import { consumerContext } from "../tracing/consumer.ts";
import { within } from "../within.ts";
import type { Middleware } from "./middleware.ts";

/** Options of the tracing middleware. */
export interface TracingOptions {
  /** Default: `trace.getTracer("@mailroom/core")` from the globally registered provider. */
  tracer?: Tracer;
}

/**
 * One OpenTelemetry consumer span per handled message, continuing the producer's trace from
 * the envelope's `traceparent` (pull and push mode alike). Messages the handler publishes carry
 * this span's context, so a trace follows a message across services. Without an OpenTelemetry
 * SDK registered, it costs almost nothing.
 *
 * The runtime already makes these spans for every app whose `tracing` option is on (the
 * default) once an SDK is registered; this middleware is for an app that turned that off and
 * wants spans around some handlers only, or from a tracer of its own. Where the runtime already
 * made the message's span, it adds none.
 *
 * @example
 * const app = createApp({ name: "orders", tracing: false });
 * app.handle("order_created", { middleware: [tracing({ tracer })] }, handler);
 */
export function tracing(options: TracingOptions = {}): Middleware {
  return {
    name: "tracing",
    async around(request, next) {
      const envelope = request.envelope;
      if (consumerContext(envelope)) return next();
      const api = traceApi() ?? (await loadTraceApi());
      const { context, SpanKind, SpanStatusCode, trace } = api;
      const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
      const parent = extractFrom(api, context.active(), envelope.headers);
      const span = tracer.startSpan(
        `${envelope.name} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.system": messagingSystem(envelope.transport.kind),
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": envelope.transport.queue,
            "messaging.message.id": envelope.id,
            "messaging.message.conversation_id": envelope.correlationId ?? envelope.id,
            "mailroom.message.name": envelope.name,
            "mailroom.attempt": envelope.attempt,
          },
        },
        parent,
      );
      try {
        return await context.with(trace.setSpan(parent, span), next);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    },
  };
}

/**
 * Write the active trace context into `headers` (no-op without an SDK). Synchronous once the
 * API is loaded; before that, a promise only where an SDK has registered something (else there
 * is nothing to inject and the API is never loaded). Handlers' publishes do this themselves.
 */
export function injectTraceContext(headers: Record<string, string>): void | Promise<void> {
  const api = traceApi();
  if (api) {
    injectInto(api, api.context.active(), headers);
    return;
  }
  if (!anythingRegistered()) return;
  return loadTraceApi().then((loaded) => injectInto(loaded, loaded.context.active(), headers));
}

/**
 * Export the spans an OpenTelemetry SDK still holds (a `BatchSpanProcessor` sends them every few
 * seconds) before the process exits: `forceFlush` on the registered tracer provider, given up
 * after `timeoutMs`. Nothing to do, and nothing loaded, without an SDK. The `mailroom` CLI calls
 * it before it exits; call it at the end of a script that exits with `process.exit`.
 */
export async function flushTraces(timeoutMs = 5_000): Promise<void> {
  if (!tracerRegistered()) return;
  const { trace } = traceApi() ?? (await loadTraceApi());
  const provider = trace.getTracerProvider() as {
    getDelegate?: () => unknown;
    forceFlush?: () => Promise<void>;
  };
  const target = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  if (typeof target.forceFlush !== "function") return;
  await within(timeoutMs, target.forceFlush(), () => new Error("flush timed out")).catch(() => {});
}
