import type { DispatchedInvocation, Middleware, SettledMessage } from "@mailroom/core";
import { ageOf, type CountedOutcome, countedOutcome, labelsOf } from "./recorder.ts";

/** Options of `embeddedMetrics`. */
export interface EmbeddedMetricsOptions {
  /** CloudWatch namespace. Default `$POWERTOOLS_METRICS_NAMESPACE`, else `Mailroom`. */
  namespace?: string;
  /** The `service` dimension. Default `$POWERTOOLS_SERVICE_NAME`, else the function name (`$AWS_LAMBDA_FUNCTION_NAME`, `$FC_FUNCTION_NAME`), else `mailroom`. */
  service?: string;
  /** More dimensions on every line (e.g. `{ environment: "prod" }`). */
  dimensions?: Record<string, string>;
  /** Where each line goes. Default: one line on stdout, which Lambda sends to CloudWatch Logs. */
  write?: (line: string) => void;
  /**
   * Default: on, except when `$MAILROOM_METRICS_DISABLED` (or `$POWERTOOLS_METRICS_DISABLED`) is
   * `true`, and — when neither is set — under a test runner (`$VITEST`, `$JEST_WORKER_ID`,
   * `$NODE_ENV=test`), so test output stays clean.
   */
  enabled?: boolean;
}

const NAMES: Record<CountedOutcome, string> = {
  acked: "Acked",
  retried: "Retried",
  dead_lettered: "DeadLettered",
  deferred: "Deferred",
  released: "Released",
};
/** CloudWatch takes at most 100 values in one metric's array. */
const MAX_VALUES = 100;

function enabledByDefault(env: NodeJS.ProcessEnv): boolean {
  const flag = env.MAILROOM_METRICS_DISABLED ?? env.POWERTOOLS_METRICS_DISABLED;
  if (flag !== undefined) return flag.toLowerCase() !== "true";
  return !(env.VITEST || env.JEST_WORKER_ID || env.NODE_ENV === "test");
}

/**
 * Per-invocation metrics of push runtimes as CloudWatch Embedded Metric Format log lines — what
 * Powertools' metrics write, so CloudWatch makes metrics of them with no API call: one line per
 * message name in each invocation with `Received`, `Acked`, `Retried`, `DeadLettered`, `Deferred`,
 * `Released` (Count), `HandlerDuration` and `MessageAge` (Milliseconds, one value per message),
 * under the dimension sets `[service, transport]` and `[service, transport, name]`; and a
 * `SettleErrors` line when settles failed. On Function Compute the same JSON lines go to Simple
 * Log Service, where they are queried as JSON fields.
 *
 * @example
 * const app = createApp({ name: "orders" });
 * app.use(embeddedMetrics({ namespace: "Shop" }));
 * export const handler = toLambda(app);
 */
export function embeddedMetrics(options: EmbeddedMetricsOptions = {}): Middleware {
  const env = process.env;
  const enabled = options.enabled ?? enabledByDefault(env);
  const namespace = options.namespace ?? env.POWERTOOLS_METRICS_NAMESPACE ?? "Mailroom";
  const service =
    options.service ??
    env.POWERTOOLS_SERVICE_NAME ??
    env.AWS_LAMBDA_FUNCTION_NAME ??
    env.FC_FUNCTION_NAME ??
    "mailroom";
  const extra = options.dimensions ?? {};
  const extraKeys = Object.keys(extra);
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  if (!enabled) return { name: "embedded-metrics" };
  return {
    name: "embedded-metrics",
    dispatched(invocation: DispatchedInvocation) {
      const byName = new Map<string, { transport: string; queue: string; messages: SettledMessage[] }>();
      for (const m of invocation.messages) {
        const labels = labelsOf(m.envelope);
        const group = byName.get(labels.name) ?? {
          transport: labels.transport,
          queue: labels.queue,
          messages: [],
        };
        group.messages.push(m);
        byName.set(labels.name, group);
      }
      const timestamp = invocation.finishedAt;
      for (const [name, group] of byName) {
        const counts: Record<string, number> = { Received: group.messages.length };
        for (const key of Object.values(NAMES)) counts[key] = 0;
        const durations: number[] = [];
        const ages: number[] = [];
        for (const m of group.messages) {
          counts[NAMES[countedOutcome(m.outcome.kind)]]! += 1;
          if (durations.length < MAX_VALUES) durations.push(m.finishedAt - m.startedAt);
          const age = ageOf(m.envelope, m.receivedAt);
          if (age !== undefined && ages.length < MAX_VALUES) ages.push(Math.round(age * 1000));
        }
        const metrics = [
          ...Object.keys(counts).map((Name) => ({ Name, Unit: "Count" })),
          { Name: "HandlerDuration", Unit: "Milliseconds" },
          ...(ages.length > 0 ? [{ Name: "MessageAge", Unit: "Milliseconds" }] : []),
        ];
        const line: Record<string, unknown> = {
          _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [
              {
                Namespace: namespace,
                Dimensions: [
                  ["service", "transport", ...extraKeys],
                  ["service", "transport", "name", ...extraKeys],
                ],
                Metrics: metrics,
              },
            ],
          },
          service,
          transport: group.transport,
          name,
          ...extra,
          queue: group.queue,
          ...counts,
          HandlerDuration: durations,
        };
        if (ages.length > 0) line.MessageAge = ages;
        emit(write, line);
      }
      if (invocation.settleErrors > 0) {
        emit(write, {
          _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [
              {
                Namespace: namespace,
                Dimensions: [["service", ...extraKeys]],
                Metrics: [{ Name: "SettleErrors", Unit: "Count" }],
              },
            ],
          },
          service,
          ...extra,
          SettleErrors: invocation.settleErrors,
        });
      }
    },
  };
}

function emit(write: (line: string) => void, line: Record<string, unknown>): void {
  try {
    write(JSON.stringify(line));
  } catch {
    // Metrics must never change what happened to a message.
  }
}
