import type { Tracer } from "@opentelemetry/api";
import type { Middleware } from "./middleware.ts";

type TraceApi = typeof import("@opentelemetry/api");

// The OpenTelemetry API is loaded on first need, not at import: a function's cold start that
// traces nothing never pays for it.
let api: TraceApi | undefined;
let loading: Promise<TraceApi> | undefined;
/** Where the OpenTelemetry API (major version 1) keeps what an SDK registered, in any copy of it. */
const REGISTERED = Symbol.for("opentelemetry.js.api.1");

function traceApi(): Promise<TraceApi> {
  loading ??= import("@opentelemetry/api").then((module) => {
    api = module;
    return module;
  });
  return loading;
}

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
      const { context, propagation, SpanKind, SpanStatusCode, trace } = api ?? (await traceApi());
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

/**
 * Write the active trace context into `headers` (no-op without an SDK). Used by `ctx.publish`.
 * Synchronous once the API is loaded; before that, a promise only where an SDK has registered
 * something (else there is nothing to inject and the API is never loaded).
 */
export function injectTraceContext(headers: Record<string, string>): void | Promise<void> {
  if (api) {
    api.propagation.inject(api.context.active(), headers);
    return;
  }
  if (!(REGISTERED in globalThis)) return;
  return traceApi().then(({ context, propagation }) => propagation.inject(context.active(), headers));
}
