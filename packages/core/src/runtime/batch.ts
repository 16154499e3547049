import type { BatchContext, BatchHandler, BatchItem, BatchItemFailure, Registration } from "../app.ts";
import type { Envelope } from "../envelope.ts";
import { validate } from "../schema.ts";
import { classifyFailure } from "./classify.ts";
import type { Runtime } from "./context.ts";
import { ACK, type Outcome } from "./outcome.ts";

/**
 * Run a batch handler over envelopes of one name. Items that fail validation are dead-lettered
 * alone; the rest go to the handler in one call. Returns one outcome per envelope, in order.
 */
export async function runBatch(
  reg: Registration,
  envelopes: Envelope[],
  runtime: Runtime,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(envelopes.length);
  const items: BatchItem<unknown>[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < envelopes.length; i++) {
    const envelope = envelopes[i]!;
    let data = envelope.data;
    if (reg.schema) {
      const v = await validate(reg.schema, data);
      if (!v.ok) {
        outcomes[i] = { kind: "deadLetter", reason: v.reason };
        continue;
      }
      data = v.value;
    }
    index.set(envelope.id, i);
    items.push({ data, envelope });
  }
  if (items.length === 0) return outcomes;
  const ctx: BatchContext = {
    signal: runtime.signal,
    logger: runtime.logger,
    publish: (name, data) => runtime.publisher().publish([{ name, data }]),
  };
  let failures: BatchItemFailure[] = [];
  try {
    const result = await (reg.fn as BatchHandler<unknown>)(items, ctx);
    if (Array.isArray(result)) failures = result as BatchItemFailure[];
  } catch (error) {
    failures = items.map((item) => ({ id: item.envelope.id, error }));
  }
  for (const f of failures) {
    const i = index.get(f.id);
    if (i !== undefined) outcomes[i] = classifyFailure(f.error, envelopes[i]!.attempt, reg);
  }
  for (const [, i] of index) outcomes[i] ??= ACK;
  return outcomes;
}
