export { type EmbeddedMetricsOptions, embeddedMetrics } from "./emf.ts";
export {
  type OpenTelemetryMetrics,
  type OpenTelemetryMetricsOptions,
  openTelemetryMetrics,
} from "./opentelemetry.ts";
export { type PrometheusMetrics, type PrometheusOptions, prometheusMetrics } from "./prometheus.ts";
export {
  attachWorker,
  type CountedOutcome,
  type DepthReader,
  type DepthState,
  depthReader,
  type MessageLabels,
  pushMiddleware,
  type Recorder,
} from "./recorder.ts";
