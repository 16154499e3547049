import {
  type App,
  type BatchHandler,
  type BatchOptions,
  callSite,
  type Handler,
  type HandlerOptions,
} from "./app.ts";
import { nameOf } from "./codec/handler-schema.ts";
import type { HandlerSchema, InferData, NamedSchema } from "./schema.ts";

/** A handler declared on its own, e.g. one per file in a handlers directory. */
export interface HandlerDefinition {
  readonly kind: "mailroom.handler";
  readonly name: string;
  readonly mode: "single" | "batch";
  readonly options: HandlerOptions<HandlerSchema | undefined> & BatchOptions<HandlerSchema | undefined>;
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
 *
 * // Named by its protobuf message type (acme.orders.v1.OrderCreated):
 * export default defineHandler({ schema: OrderCreatedSchema, codec: protobufCodec() }, async (order) => { … });
 */
export function defineHandler<S extends HandlerSchema | undefined = undefined>(
  name: string,
  options: HandlerOptions<S>,
  fn: Handler<InferData<S>>,
): HandlerDefinition;
export function defineHandler<S extends HandlerSchema & NamedSchema>(
  options: HandlerOptions<S> & { schema: S },
  fn: Handler<InferData<S>>,
): HandlerDefinition;
export function defineHandler(
  first: string | HandlerOptions<HandlerSchema | undefined>,
  a: HandlerOptions<HandlerSchema | undefined> | Handler<never>,
  b?: Handler<never>,
): HandlerDefinition {
  const [name, options, fn] =
    typeof first === "string"
      ? [first, a as HandlerOptions<HandlerSchema | undefined>, b]
      : [nameOf(first), first, a];
  return {
    kind: "mailroom.handler",
    name,
    mode: "single",
    options: options as HandlerDefinition["options"],
    fn: fn as Handler<never>,
    source: callSite(),
  };
}

/** Declare a batch handler without an app. See `App.handleBatch`. */
export function defineBatchHandler<S extends HandlerSchema | undefined = undefined>(
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
