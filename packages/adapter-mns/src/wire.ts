import {
  type Codec,
  deadLetterBody as coreDeadLetterBody,
  type DeadLetterFacts,
  type DecodeFailure,
  type Envelope,
  reencodeWithHeaders,
} from "@mailroom/core/push";

// MNS has no message attributes: copies carry their facts in the body, and an undecodable body
// is wrapped for the dead-letter queue. The rules are core's, shared with Azure Storage Queues.
export { POISON_KEY, type PoisonFacts, unwrapPoison } from "@mailroom/core/push";

/** Re-encode an envelope with new headers (the `not-before`, attempt and dead-letter facts ride in the body). */
export function reencode(codec: Codec, envelope: Envelope, headers: Record<string, string>): Uint8Array {
  return reencodeWithHeaders(codec, envelope, headers);
}

/** A dead-letter body and whether it is plain JSON text (then it is sent as text, not base64, to stay small). */
export interface DeadLetterBody {
  body: Uint8Array;
  text: boolean;
}

/** The dead-letter body (core's `deadLetterBody`); a poison wrapper is JSON text. */
export function deadLetterBody(
  codec: Codec,
  envelope: Envelope | DecodeFailure,
  facts: DeadLetterFacts,
): DeadLetterBody {
  const { body, wrapped } = coreDeadLetterBody(codec, envelope, facts);
  return { body, text: wrapped };
}
