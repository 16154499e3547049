import type { DescMessage, MessageShape } from "@bufbuild/protobuf";

export { type ProtobufCodecOptions, protobufCodec } from "./codec.ts";
export { isMessageType, type ProtobufSchema, protobufSchema } from "./schema.ts";

// A handler's `schema` may be a protobuf message type; its `data` is then that message.
declare module "@mailroom/core" {
  interface SchemaKinds<S> {
    protobuf: { schema: DescMessage; data: S extends DescMessage ? MessageShape<S> : never };
  }
}
