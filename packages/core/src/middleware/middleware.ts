import type { Envelope } from "../envelope.ts";
import type { Context } from "../runtime/context.ts";

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
 * One layer of the onion around a handler, as in middy: `before` hooks run in order, the handler,
 * then `after` hooks in reverse order. If anything throws, every `onError` runs in reverse order;
 * an `onError` that sets `request.error = undefined` recovers (the message is acked with
 * `request.result`). A `before` that returns `{ result }` skips the handler and the remaining
 * `before` hooks (used by idempotency for already-processed messages).
 */
export interface Middleware {
  /** Shown in logs. */
  readonly name?: string;
  before?(
    request: HandlerRequest,
  ): undefined | { result: unknown } | Promise<undefined | { result: unknown }> | void | Promise<void>;
  after?(request: HandlerRequest): void | Promise<void>;
  /**
   * Wrap the call of everything inside this layer (inner middleware and the handler). For what
   * needs a scope around the handler rather than hooks — an async context such as a trace span.
   * Must call `next()` once and return its result.
   */
  around?(request: HandlerRequest, next: () => Promise<unknown>): Promise<unknown>;
  onError?(request: HandlerRequest): void | Promise<void>;
}

/** The handler as middleware sees it. */
export type Inner = (request: HandlerRequest) => unknown;

/** Compose middleware around `inner` into one function. With no middleware, `inner` itself. */
export function compose(middleware: readonly Middleware[], inner: Inner): Inner {
  if (middleware.length === 0) return inner;
  // Layers with `around` wrap the rest of the chain from their position inward.
  const i = middleware.findIndex((m) => m.around);
  if (i >= 0) {
    const layer = middleware[i]!;
    const rest = compose(middleware.slice(i + 1), inner);
    const wrapped: Middleware[] = [...middleware.slice(0, i), { ...layer, around: undefined }];
    return compose(wrapped, (request) => layer.around!(request, async () => rest(request)));
  }
  return async (request) => {
    let ran = 0;
    try {
      let short = false;
      for (const m of middleware) {
        ran++;
        const r = m.before ? await m.before(request) : undefined;
        if (r && typeof r === "object" && "result" in r) {
          request.result = r.result;
          short = true;
          break;
        }
      }
      if (!short) request.result = await inner(request);
      for (let i = ran - 1; i >= 0; i--) {
        const after = middleware[i]!.after;
        if (after) await after(request);
      }
      return request.result;
    } catch (error) {
      request.error = error;
      for (let i = middleware.length - 1; i >= 0; i--) {
        const onError = middleware[i]!.onError;
        if (onError) await onError(request);
        if (request.error === undefined) return request.result;
      }
      throw request.error;
    }
  };
}
