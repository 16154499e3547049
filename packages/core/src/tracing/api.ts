/**
 * The OpenTelemetry API, loaded on first need. Mailroom traces only when an SDK has registered a
 * tracer provider: that is read from the API's global registration (any copy of the API, major
 * version 1, keeps it under one well-known symbol), so a process without an SDK never imports
 * the API and pays one property read per message.
 */
export type TraceApi = typeof import("@opentelemetry/api");

/** Where the OpenTelemetry API (major version 1) keeps what an SDK registered, in any copy of it. */
const REGISTERED = Symbol.for("opentelemetry.js.api.1");

/** The instrumentation scope of Mailroom's spans. */
export const TRACER_NAME = "@mailroom/core";

let loaded: TraceApi | undefined;
let loading: Promise<TraceApi> | undefined;

/** True when an OpenTelemetry SDK has registered a global tracer provider. */
export function tracerRegistered(): boolean {
  return (globalThis as { [REGISTERED]?: { trace?: unknown } })[REGISTERED]?.trace !== undefined;
}

/** True when any OpenTelemetry global (tracer, context manager, propagator, …) is registered. */
export function anythingRegistered(): boolean {
  return REGISTERED in globalThis;
}

/** The API if it is loaded, else undefined (see `loadTraceApi`). */
export function traceApi(): TraceApi | undefined {
  return loaded;
}

/** Load the API (once). */
export function loadTraceApi(): Promise<TraceApi> {
  loading ??= import("@opentelemetry/api").then((module) => {
    loaded = module;
    return module;
  });
  return loading;
}

/**
 * The `messaging.system` of a transport kind, as the OpenTelemetry messaging conventions name
 * the systems they know (`aws_sqs`, `rabbitmq`); other kinds are named as Mailroom names them.
 */
export function messagingSystem(kind: string): string {
  switch (kind) {
    case "sqs":
      return "aws_sqs";
    case "amqp":
      return "rabbitmq";
    case "mns":
      return "aliyun_mns";
    case "azure-queue":
      return "azure_storage_queue";
    default:
      return kind;
  }
}

type OtelContext = import("@opentelemetry/api").Context;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Write `ctx`'s trace context into `headers` with the registered propagator; where an SDK
 * registered a tracer but no propagator, as W3C `traceparent` / `tracestate` (Mailroom's header
 * names), so a trace is never cut for want of one.
 */
export function injectInto(api: TraceApi, ctx: OtelContext, headers: Record<string, string>): void {
  if (propagatorRegistered()) {
    api.propagation.inject(ctx, headers);
    return;
  }
  const span = api.trace.getSpanContext(ctx);
  if (!span || !api.isSpanContextValid(span)) return;
  headers.traceparent = `00-${span.traceId}-${span.spanId}-0${span.traceFlags & 1}`;
  const state = span.traceState?.serialize();
  if (state) headers.tracestate = state;
}

/** Read the trace context in `headers` onto `ctx` (the registered propagator, else W3C as `injectInto` writes it). */
export function extractFrom(
  api: TraceApi,
  ctx: OtelContext,
  headers: Readonly<Record<string, string>>,
): OtelContext {
  if (propagatorRegistered()) return api.propagation.extract(ctx, headers);
  const m = TRACEPARENT.exec(headers.traceparent ?? "");
  if (!m || m[1] === "0".repeat(32) || m[2] === "0".repeat(16)) return ctx;
  const state = headers.tracestate;
  return api.trace.setSpanContext(ctx, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: Number.parseInt(m[3]!, 16) & 1,
    isRemote: true,
    ...(state ? { traceState: api.createTraceState(state) } : {}),
  });
}

function propagatorRegistered(): boolean {
  return (globalThis as { [REGISTERED]?: { propagation?: unknown } })[REGISTERED]?.propagation !== undefined;
}
