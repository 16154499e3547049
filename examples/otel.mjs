// OpenTelemetry for the mailroom CLI, as a service would set it up: register an SDK before the
// CLI loads, and every handler run is a CONSUMER span, every publish a PRODUCER span.
//   NODE_OPTIONS="--import ./examples/otel.mjs" npx mailroom run --handlers examples/handlers --until-empty
// This one prints each span on stderr; a service exports OTLP instead (@opentelemetry/sdk-node's
// NodeSDK with an OTLP exporter). The CLI flushes the provider before it exits.
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";

/** One line per span: trace id, span id, parent, kind, name, outcome. */
const exporter = {
  export(spans, done) {
    const kinds = ["internal", "server", "client", "producer", "consumer"];
    for (const s of spans) {
      const parent = s.parentSpanContext?.spanId ?? "-";
      const outcome = s.attributes["mailroom.outcome"] ?? "";
      process.stderr.write(
        `span ${s.spanContext().traceId} ${s.spanContext().spanId} parent ${parent} ${kinds[s.kind]} ${s.name} ${outcome}\n`,
      );
    }
    done({ code: 0 });
  },
  shutdown: async () => {},
};

trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }),
);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
