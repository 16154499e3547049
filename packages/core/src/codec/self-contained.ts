import type { Envelope } from "../envelope.ts";
import { cloudEventsCodec } from "./cloudevents.ts";
import { CloudEventsHeaders } from "./cloudevents-names.ts";
import type { Codec } from "./codec.ts";
import { jsonCodec } from "./json.ts";

let embeddedJson: Codec | undefined;
let copies: Codec | undefined;

/**
 * The form of `codec` that writes every piece of metadata into the body, for transports that
 * carry nothing beside it (MNS, Azure Storage Queues): the codec's own `selfContained()`, the JSON
 * codec with `embedMeta`, or the codec itself when it has no other form.
 */
export function selfContained(codec: Codec): Codec {
  if (codec.selfContained) return codec.selfContained();
  if (codec.name === "json") {
    embeddedJson ??= jsonCodec({ embedMeta: true });
    return embeddedJson;
  }
  return codec;
}

/**
 * The codec a copy of a received message (a re-delay, a dead letter) is written with on a
 * transport that re-encodes copies because it has no message attributes (MNS, Azure Storage
 * Queues): a message that came as a CloudEvent (it has a `ce-source` header), or whose data is
 * bytes, stays a structured CloudEvent with its source, data and content type; any other is
 * written with the transport's `codec`.
 */
export function codecForCopy(envelope: Envelope, codec: Codec): Codec {
  if (envelope.headers[CloudEventsHeaders.source] === undefined && !(envelope.data instanceof Uint8Array)) {
    return codec;
  }
  copies ??= cloudEventsCodec();
  return copies;
}
