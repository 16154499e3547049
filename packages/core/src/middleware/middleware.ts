import type { DecodeFailure, Envelope } from "../envelope.ts";
import type { Context } from "../runtime/context.ts";
import type { Outcome } from "../runtime/outcome.ts";

/** What middleware sees and may change while one message is handled. */
export interface HandlerRequest {
  readonly envelope: Envelope;
  /** The validated data the handler receives. */
  data: unknown;
  readonly ctx: Context;
  /** The handler's return value, once it has run (or what a `before` short-circuited with). */
  result?: unknown;
  /** The error being handled in `onError`; set it to `undefined` to recover. */
  error?: unknown;
}

/**
 * One layer of the onion around a handler, as in middy. For each message: `before` hooks run in
 * order, then the handler, then `after` hooks in reverse order. A `before` that returns
 * `{ result }` skips the inner layers and the handler for that message (idempotency uses it for
 * messages already processed); the `after` hooks of its own and the outer layers still run.
 * When a hook or the handler throws, the `onError` hooks of the layers the message entered run
 * from the inside out; one that sets `request.error = undefined` recovers (the message is acked
 * with `request.result`, and the outer layers see a success). An `after` that throws is handled
 * by its own layer's `onError` and outwards.
 *
 * Batch handlers (`app.handleBatch`) go through the same hooks, once per message: the messages a
 * `before` short-circuits or fails are left out of the batch call, the handler's per-item
 * failures reach `onError` of each failed item, and `after` runs for each item that succeeded.
 */
export interface Middleware {
  /** Shown in logs. */
  readonly name?: string;
  before?(
    request: HandlerRequest,
  ): undefined | { result: unknown } | Promise<undefined | { result: unknown }> | void | Promise<void>;
  after?(request: HandlerRequest): void | Promise<void>;
  /**
   * Wrap the run of everything inside this layer (inner middleware and the handler) for one
   * message — for what needs a scope rather than hooks, such as an async context for a trace
   * span. Must call `next()` once and return (or throw) what it gives.
   */
  around?(request: HandlerRequest, next: () => Promise<unknown>): Promise<unknown>;
  /**
   * The batch-handler form of `around`: wraps one batch call and the inner layers of all its
   * messages. `next()` resolves once they ran; each request's `error` (or `result`) tells how its
   * message did. Without it, `around` is not applied to batch calls.
   */
  aroundBatch?(requests: readonly HandlerRequest[], next: () => Promise<void>): Promise<void>;
  onError?(request: HandlerRequest): void | Promise<void>;
  /**
   * Told once per delivery with its final outcome — in the Worker once it was settled with the
   * transport (or settling failed), in push dispatch as its settle starts — also for deliveries
   * settled without a handler run (an undecodable body, a schema failure, an unknown name, too
   * many attempts, a message not due yet, one given back on stop), and once per item of a batch
   * handler. Called only on the app's middleware (`app.use`, `createApp({ middleware })`); a
   * handler's own middleware is not told. Synchronous and on the runtime's path: keep it cheap.
   * What it throws is ignored. A middleware with only this hook adds no layer around handlers.
   */
  settled?(message: SettledMessage): void;
  /**
   * Push dispatch only (`toLambda`, `toAliyunFC`, `toAzureFunction`): told once per invocation,
   * after every delivery of it was settled (or its settle failed), with each delivery as
   * `settled` sees it — per-invocation metrics (CloudWatch EMF) write their line here. Only on
   * the app's middleware; synchronous; what it throws is ignored; adds no layer around handlers.
   */
  dispatched?(invocation: DispatchedInvocation): void;
}

/** What `Middleware.dispatched` is told about one push invocation. Times are epoch ms. */
export interface DispatchedInvocation {
  /** Every delivery of the invocation, in the order they were settled. */
  readonly messages: readonly SettledMessage[];
  /** Settles that failed (the provider delivers those messages again). */
  readonly settleErrors: number;
  /** When dispatch began. */
  readonly startedAt: number;
  /** When the last settle finished. */
  readonly finishedAt: number;
}

/** What `Middleware.settled` is told about one delivery. Times are epoch ms. */
export interface SettledMessage {
  readonly envelope: Envelope | DecodeFailure;
  /** The final outcome, as settled (errors already turned into outcomes). */
  readonly outcome: Outcome;
  /** When the runtime received the delivery (Worker: its receive; push: the invocation). */
  readonly receivedAt: number;
  /** When its run began (triage, then validation, middleware and handler). */
  readonly startedAt: number;
  /** When it was settled (push: when its settle started). */
  readonly finishedAt: number;
}

/** True when a middleware has a hook that wraps handler runs (`settled` alone does not). */
export function wrapsHandlers(m: Middleware): boolean {
  return (
    m.before !== undefined ||
    m.after !== undefined ||
    m.around !== undefined ||
    m.aroundBatch !== undefined ||
    m.onError !== undefined
  );
}

/**
 * The innermost step: run the handler for the requests still live and set each one's `result`,
 * or its `error` (mark failures with `fail`). Must not reject.
 */
export type InnerRun = (
  live: HandlerRequest[],
  fail: (request: HandlerRequest, error: unknown) => void,
) => Promise<void>;

/** Which requests have failed (a thrown `undefined` is still a failure). */
type Failed = Set<HandlerRequest>;

/**
 * Run `requests` through `layers` around `inner` (one request for a single handler, many for a
 * batch). Never rejects: every request ends with `result` set, or is in the returned set of
 * failures with its `error`.
 */
export async function runLayers(
  layers: readonly Middleware[],
  requests: HandlerRequest[],
  inner: InnerRun,
  batch: boolean,
): Promise<ReadonlySet<HandlerRequest>> {
  const failed: Failed = new Set();
  const fail = (r: HandlerRequest, error: unknown) => {
    // `request.error = undefined` means "recovered": a thrown undefined must still be a failure.
    r.error = error === undefined ? new Error("undefined was thrown") : error;
    failed.add(r);
  };
  await layer(layers, 0, requests, inner, batch, failed, fail);
  return failed;
}

async function layer(
  layers: readonly Middleware[],
  k: number,
  requests: HandlerRequest[],
  inner: InnerRun,
  batch: boolean,
  failed: Failed,
  fail: (r: HandlerRequest, error: unknown) => void,
): Promise<void> {
  if (k === layers.length) {
    try {
      await inner(requests, fail);
    } catch (error) {
      for (const r of requests) fail(r, error);
    }
    return;
  }
  const m = layers[k]!;
  let live = requests;
  if (m.before) {
    const before = m.before.bind(m);
    const passed = await Promise.all(
      requests.map(async (r) => {
        try {
          const x = await before(r);
          if (x && typeof x === "object" && "result" in x) {
            r.result = x.result;
            return false;
          }
          return true;
        } catch (error) {
          fail(r, error);
          return false;
        }
      }),
    );
    live = requests.filter((_, i) => passed[i]);
  }
  if (live.length > 0) {
    const rest = () => layer(layers, k + 1, live, inner, batch, failed, fail);
    if (!batch && m.around) {
      const r = live[0]!;
      try {
        r.result = await m.around(r, async () => {
          await rest();
          if (failed.has(r)) throw r.error;
          return r.result;
        });
        failed.delete(r);
        r.error = undefined;
      } catch (error) {
        fail(r, error);
      }
    } else if (batch && m.aroundBatch) {
      try {
        await m.aroundBatch(live, rest);
      } catch (error) {
        for (const r of live) fail(r, error);
      }
    } else {
      await rest();
    }
  }
  await Promise.all(requests.map((r) => unwind(m, r, failed, fail)));
}

/** This layer's `after` for a request that succeeded so far, or its `onError` for one that failed. */
async function unwind(
  m: Middleware,
  r: HandlerRequest,
  failed: Failed,
  fail: (r: HandlerRequest, error: unknown) => void,
): Promise<void> {
  if (!failed.has(r) && m.after) {
    try {
      await m.after(r);
    } catch (error) {
      fail(r, error);
    }
  }
  if (failed.has(r) && m.onError) {
    try {
      await m.onError(r);
    } catch (error) {
      fail(r, error);
      return;
    }
    if (r.error === undefined) failed.delete(r);
  }
}
