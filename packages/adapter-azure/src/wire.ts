import type { Codec, DecodeFailure, Envelope } from "@mailroom/core";
import {
  deadLetterBody as coreDeadLetterBody,
  type DeadLetterFacts,
  reencodeWithHeaders,
} from "@mailroom/core/transport";

// Storage Queues have no message attributes: copies carry their facts in the body, and an
// undecodable body is wrapped for the poison queue. The rules are core's, shared with MNS.
export { POISON_KEY, type PoisonFacts, unwrapPoison } from "@mailroom/core/transport";

/** Re-encode an envelope with new headers: `not-before`, runs and dead-letter facts ride in the body. */
export function reencode(codec: Codec, envelope: Envelope, headers: Record<string, string>): Uint8Array {
  return reencodeWithHeaders(codec, envelope, headers);
}

/** The dead-letter body: a decodable envelope re-encoded with its dead-letter facts, an undecodable one wrapped. */
export function deadLetterBody(
  codec: Codec,
  envelope: Envelope | DecodeFailure,
  facts: DeadLetterFacts,
): Uint8Array {
  return coreDeadLetterBody(codec, envelope, facts).body;
}
