import {
  type DescMessage,
  fromBinary,
  fromJson,
  isMessage,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { StandardSchemaV1 } from "@mailroom/core";

/** A protobuf message type as a handler schema: a Standard Schema that names its messages. */
export type ProtobufSchema<Desc extends DescMessage> = StandardSchemaV1<unknown, MessageShape<Desc>> & {
  /** The type's full name (`acme.orders.v1.OrderCreated`): a handler registered without a name takes it. */
  readonly typeName: string;
};

/**
 * A protobuf message type as a Standard Schema: bytes (a protobuf body) are read with
 * `fromBinary`, a message of the type is kept, JSON data (a CloudEvent's or a `{ name, data }`
 * body's) is read with the protobuf JSON mapping (`fromJson`). Anything else — bytes that are not
 * this message, a message of another type, JSON that does not fit — is a schema failure naming
 * the type, which dead-letters the message. `protobufCodec()` applies it to every handler whose
 * schema is a message type; call it yourself to use the schema elsewhere.
 *
 * @example
 * app.handle({ schema: protobufSchema(OrderCreatedSchema) }, (order) => order.total);
 */
export function protobufSchema<Desc extends DescMessage>(desc: Desc): ProtobufSchema<Desc> {
  const typeName = desc.typeName;
  return {
    typeName,
    "~standard": {
      version: 1,
      vendor: "mailroom-protobuf",
      validate(value: unknown): StandardSchemaV1.Result<MessageShape<Desc>> {
        try {
          if (value instanceof Uint8Array) return { value: fromBinary(desc, value) };
          if (isMessage(value, desc)) return { value };
          if (isMessage(value))
            return { issues: [{ message: `expected a ${typeName}, got a ${value.$typeName}` }] };
          return { value: fromJson(desc, value as JsonValue) };
        } catch (error) {
          return { issues: [{ message: `not a ${typeName}: ${(error as Error).message}` }] };
        }
      },
    },
  };
}

/** True for a protobuf message descriptor (`OrderCreatedSchema` of generated code, `registry.getMessage(…)`). */
export function isMessageType(value: unknown): value is DescMessage {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Partial<DescMessage>;
  return d.kind === "message" && typeof d.typeName === "string" && Array.isArray(d.fields);
}
