import {
  type App,
  type BatchHandler,
  type BatchOptions,
  callSite,
  type Handler,
  type HandlerOptions,
} from "./app.ts";
import type { InferData, StandardSchemaV1 } from "./schema.ts";

/** A handler declared on its own, e.g. one per file in a handlers directory. */
export interface HandlerDefinition {
  readonly kind: "mailroom.handler";
  readonly name: string;
  readonly mode: "single" | "batch";
  readonly options: HandlerOptions<StandardSchemaV1 | undefined> & BatchOptions<StandardSchemaV1 | undefined>;
  readonly fn: Handler<never> | BatchHandler<never>;
  /** Where it was defined (file:line): duplicate-name errors point here. */
  readonly source: string;
}

/**
 * Declare a handler without an app, typically as a handler file's default export. The CLI
 * (`mailroom run --handlers DIR`) and `registerAll` register it.
 *
 * @example
 * // handlers/order_created.ts
 * export default defineHandler("order_created", { schema: OrderCreated }, async (order, ctx) => {
 *   await ctx.publish("invoice_requested", { orderId: order.id });
 * });
 */
export function defineHandler<S extends StandardSchemaV1 | undefined = undefined>(
  name: string,
  options: HandlerOptions<S>,
  fn: Handler<InferData<S>>,
): HandlerDefinition {
  return {
    kind: "mailroom.handler",
    name,
    mode: "single",
    options: options as HandlerDefinition["options"],
    fn,
    source: callSite(),
  };
}

/** Declare a batch handler without an app. See `App.handleBatch`. */
export function defineBatchHandler<S extends StandardSchemaV1 | undefined = undefined>(
  name: string,
  options: BatchOptions<S>,
  fn: BatchHandler<InferData<S>>,
): HandlerDefinition {
  return {
    kind: "mailroom.handler",
    name,
    mode: "batch",
    options: options as HandlerDefinition["options"],
    fn,
    source: callSite(),
  };
}

/** True for a value made by `defineHandler` / `defineBatchHandler`. */
export function isHandlerDefinition(value: unknown): value is HandlerDefinition {
  return (
    typeof value === "object" && value !== null && (value as HandlerDefinition).kind === "mailroom.handler"
  );
}

/** Register definitions on an app. Duplicate names throw, as with `app.handle`. */
export function registerAll(app: App, definitions: Iterable<HandlerDefinition>): App {
  for (const d of definitions) app.register(d);
  return app;
}
