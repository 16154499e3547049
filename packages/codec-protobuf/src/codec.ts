import {
  type DescMessage,
  fromJson,
  isMessage,
  type JsonValue,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import {
  type Codec,
  ConfigError,
  cloudEventsCodec,
  type EncodeInput,
  jsonCodec,
  PROTOBUF_MEDIA_TYPE,
  type WireMessage,
} from "@mailroom/core";
import { readWireFormat, selfContained } from "@mailroom/core/transport";
import { isMessageType, protobufSchema } from "./schema.ts";

/** Options of `protobufCodec`. */
export interface ProtobufCodecOptions {
  /** Message types by full name, e.g. `createRegistry(file_acme_orders_v1)`. */
  registry?: Registry;
  /** Message types, besides the registry's (and besides the handler schemas the codec was given). */
  types?: readonly DescMessage[];
  /** Writes what is not a protobuf message (see `protobufCodec`). Default `jsonCodec()`. */
  fallback?: Codec;
  /** `source` of the CloudEvents written on transports without message attributes. Default `/mailroom`. */
  source?: string;
}

const encoder = new TextEncoder();

/**
 * Protobuf bodies with @bufbuild/protobuf. A message is written as protobuf when its data is a
 * message of a known type (`create(OrderCreatedSchema, …)`), bytes, or JSON data whose name is a
 * known type's full name (read with the protobuf JSON mapping); the body is the binary message,
 * `content-type: application/protobuf` and the name (the type) travel beside it. On transports
 * without message attributes (MNS, Azure Storage Queues) it is a structured CloudEvent with the
 * bytes in `data_base64`. Anything else is written by `fallback`, so an app-wide protobuf codec
 * still publishes its JSON messages.
 *
 * Known types: the registry, `types`, and every handler schema that is a message type — the codec
 * (on the handler or the app) turns those into `protobufSchema(type)`, so `data` is the message.
 * Reading needs no codec: every transport hands a protobuf body's bytes to the handler's schema.
 *
 * @example
 * const app = createApp({ name: "orders" });
 * app.handle({ schema: OrderCreatedSchema, codec: protobufCodec() }, async (order, ctx) => {
 *   await ctx.publish(OrderShippedSchema.typeName, create(OrderShippedSchema, { id: order.id }));
 * });
 */
export function protobufCodec(options: ProtobufCodecOptions = {}): Codec {
  const known = new Map<string, DescMessage>();
  for (const type of options.types ?? []) known.set(type.typeName, type);
  const fallback = options.fallback ?? jsonCodec();
  const typeOf = (input: EncodeInput): DescMessage | undefined => {
    const typeName = isMessage(input.data) ? input.data.$typeName : input.name;
    return known.get(typeName) ?? options.registry?.getMessage(typeName);
  };
  const bytesOf = (input: EncodeInput): Uint8Array | undefined => {
    const type = typeOf(input);
    return type ? messageBytes(type, input.data) : undefined;
  };
  const decode: Pick<Codec, "decode" | "decodeText"> = {
    decode: (body, meta) => readWireFormat(body, meta) ?? fallback.decode(body, meta),
    decodeText: (text, meta) =>
      readWireFormat(text, meta) ??
      (fallback.decodeText ? fallback.decodeText(text, meta) : fallback.decode(encoder.encode(text), meta)),
  };
  const adaptSchema = (schema: unknown) => {
    if (!isMessageType(schema)) return undefined;
    known.set(schema.typeName, schema);
    return protobufSchema(schema);
  };
  let embedded: Codec | undefined;
  const codec: Codec = {
    name: "protobuf",
    encode(input: EncodeInput): WireMessage {
      const body = bytesOf(input);
      if (!body) return fallback.encode(input);
      const headers = { ...input.headers, "content-type": PROTOBUF_MEDIA_TYPE };
      return {
        body,
        meta: {
          id: input.id,
          name: input.name,
          publishedAt: input.publishedAt,
          parentId: input.parentId,
          correlationId: input.correlationId,
          replyTo: input.replyTo,
          headers,
        },
        contentType: PROTOBUF_MEDIA_TYPE,
      };
    },
    ...decode,
    selfContained() {
      if (embedded) return embedded;
      const events = cloudEventsCodec({ source: options.source, fallback });
      embedded = {
        name: "protobuf",
        encode(input) {
          const data = bytesOf(input);
          if (!data) return selfContained(fallback).encode(input);
          return events.encode({
            ...input,
            data,
            headers: { ...input.headers, "content-type": PROTOBUF_MEDIA_TYPE },
          });
        },
        ...decode,
        adaptSchema,
      };
      return embedded;
    },
    adaptSchema,
  };
  return codec;
}

/** The binary form of `data` as a message of `type`. */
function messageBytes(type: DescMessage, data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (isMessage(data, type)) return toBinary(type, data);
  try {
    // JSON from a data file or another format: the protobuf JSON mapping (int64 as strings, enums by name).
    return toBinary(type, fromJson(type, data as JsonValue));
  } catch (error) {
    throw new ConfigError(
      `the data of a ${type.typeName} is neither a message of that type (make it with create(${type.name}Schema, …)) nor its protobuf JSON form: ${(error as Error).message}`,
    );
  }
}
