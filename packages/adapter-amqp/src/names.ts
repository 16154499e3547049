/**
 * Where a message name may come from:
 * - `body`: the JSON body `{ "name": …, "data": … }` (Mailroom's own format);
 * - `type`: the AMQP `type` property (Mailroom sets it; many libraries do);
 * - `contentType`: the `content_type` property when it is not a MIME type — Python services that
 *   publish with `pika.BasicProperties(content_type=method)` put the name there.
 * When the name comes from a property, the whole body is the data (it may be a bare number or string).
 */
export type NameSource = "body" | "type" | "contentType";

/** Default resolution order. */
export const DEFAULT_NAME_ORDER: readonly NameSource[] = ["body", "type", "contentType"];

/** A property value usable as a message name: a non-empty string, and for content types not a MIME type. */
function fromProperty(source: "type" | "contentType", value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  if (source === "contentType" && value.includes("/")) return undefined;
  return value;
}

/** The first name the properties give, in `order` (ignoring `body`). */
export function nameFromProperties(
  order: readonly NameSource[],
  properties: { type?: unknown; contentType?: unknown },
): { name: string; rank: number } | undefined {
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    if (s === "body") continue;
    const name = fromProperty(s, s === "type" ? properties.type : properties.contentType);
    if (name !== undefined) return { name, rank: i };
  }
  return undefined;
}

/** True when `order` ranks some property source above the body. */
export function propertyBeforeBody(order: readonly NameSource[], rank: number): boolean {
  const body = order.indexOf("body");
  return body === -1 || rank < body;
}
