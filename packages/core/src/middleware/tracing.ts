import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
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
 * @example
 * app.use(tracing());
 */
export function tracing(options: TracingOptions = {}): Middleware {
  return {
    name: "tracing",
    async around(request, next) {
      const tracer = options.tracer ?? trace.getTracer("@mailroom/core");
      const envelope = request.envelope;
      const parent = propagation.extract(context.active(), envelope.headers);
      const span = tracer.startSpan(
        `${envelope.name} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.system": envelope.transport.kind,
            "messaging.operation.type": "process",
            "messaging.destination.name": envelope.transport.queue,
            "messaging.message.id": envelope.id,
            "messaging.message.conversation_id": envelope.correlationId ?? envelope.id,
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

/** Write the active trace context into `headers` (no-op without an SDK). Used by `ctx.publish`. */
export function injectTraceContext(headers: Record<string, string>): void {
  propagation.inject(context.active(), headers);
}
