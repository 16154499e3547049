import type { App, BatchContext, BatchHandler, BatchItem, BatchItemFailure, Registration } from "../app.ts";
import type { Envelope } from "../envelope.ts";
import { type HandlerRequest, runLayers } from "../middleware/middleware.ts";
import { validate } from "../schema.ts";
import { tracerRegistered } from "../tracing/api.ts";
import { traceBatch } from "../tracing/consumer.ts";
import { classifyFailure, schemaThrew } from "./classify.ts";
import { HandlerContext, type Runtime } from "./context.ts";
import { deadline } from "./deadline.ts";
import { layersOf } from "./layers.ts";
import { ACK, type Outcome } from "./outcome.ts";

/**
 * Run a batch handler over envelopes of one name, through the same middleware and timeout as a
 * single handler. Items that fail validation are dead-lettered alone; the rest go to the handler
 * in one call. Returns one outcome per envelope, by position (the same id may come twice: a
 * broker may deliver a message again while its first copy is still held). Never rejects.
 */
export function runBatch(
  app: App,
  reg: Registration,
  envelopes: Envelope[],
  runtime: Runtime,
): Promise<Outcome[]> {
  // With an OpenTelemetry SDK registered, the call is one consumer span linked to each message.
  if (tracerRegistered())
    return traceBatch(app, reg.name, envelopes, () => run(app, reg, envelopes, runtime));
  return run(app, reg, envelopes, runtime);
}

async function run(app: App, reg: Registration, envelopes: Envelope[], runtime: Runtime): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(envelopes.length);
  const limit = reg.timeoutMs === undefined ? undefined : deadline(runtime.signal, reg.timeoutMs);
  try {
    const requests: HandlerRequest[] = [];
    const position = new Map<HandlerRequest, number>();
    await Promise.all(
      envelopes.map(async (envelope, i) => {
        const checked = await check(reg, envelope);
        if ("kind" in checked) {
          outcomes[i] = checked;
          return;
        }
        const request: HandlerRequest = {
          envelope,
          data: checked.value,
          ctx: new HandlerContext(envelope, runtime, limit?.signal, reg.codecFor),
        };
        position.set(request, i);
        requests.push(request);
      }),
    );
    if (requests.length === 0) return outcomes;
    requests.sort((a, b) => position.get(a)! - position.get(b)!);
    const batchCtx: BatchContext = {
      signal: limit?.signal ?? runtime.signal,
      logger: runtime.logger,
      publish: (name, data) => {
        const codec = reg.codecFor(name);
        return runtime.publisher().publish([codec ? { name, data, codec } : { name, data }]);
      },
    };
    const fn = reg.fn as BatchHandler<unknown>;
    const failed = await runLayers(
      layersOf(app, reg),
      requests,
      async (live, fail) => {
        const items: BatchItem<unknown>[] = live.map((r) => ({
          data: r.data,
          envelope: r.envelope,
          ctx: r.ctx,
        }));
        let result: unknown;
        try {
          const work = fn(items, batchCtx);
          result = limit ? await limit.race(work) : await work;
        } catch (error) {
          for (const r of live) fail(r, error);
          return;
        }
        if (Array.isArray(result)) applyFailures(result as BatchItemFailure[], items, live, fail);
      },
      true,
    );
    for (const r of requests) {
      const i = position.get(r)!;
      outcomes[i] = failed.has(r) ? classifyFailure(r.error, r.envelope.attempt, reg) : ACK;
    }
  } catch (error) {
    // Only a bug in Mailroom gets here: every item not yet decided is retried, never lost.
    for (let i = 0; i < envelopes.length; i++)
      outcomes[i] ??= classifyFailure(error, envelopes[i]!.attempt, reg);
  } finally {
    limit?.dispose();
  }
  return outcomes;
}

/** Validate one item; a throwing schema is a failure like a handler's. */
async function check(reg: Registration, envelope: Envelope): Promise<Outcome | { value: unknown }> {
  if (!reg.schema) return { value: envelope.data };
  try {
    const v = await validate(reg.schema, envelope.data);
    return v.ok ? { value: v.value } : { kind: "deadLetter", reason: v.reason };
  } catch (error) {
    return classifyFailure(schemaThrew(reg, error), envelope.attempt, reg);
  }
}

/** Mark the items a batch handler reported failed: by item, by position, or by envelope id. */
function applyFailures(
  failures: BatchItemFailure[],
  items: BatchItem<unknown>[],
  live: HandlerRequest[],
  fail: (request: HandlerRequest, error: unknown) => void,
): void {
  for (const f of failures) {
    if (f === null || typeof f !== "object") continue;
    if ("item" in f) {
      const i = items.indexOf(f.item);
      if (i >= 0) fail(live[i]!, f.error);
    } else if ("index" in f) {
      const r = live[f.index];
      if (r) fail(r, f.error);
    } else if ("id" in f) {
      for (const r of live) if (r.envelope.id === f.id) fail(r, f.error);
    }
  }
}
