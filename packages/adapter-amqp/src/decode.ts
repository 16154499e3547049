import { type DecodeFailure, type Envelope, isDecodeFailure } from "@mailroom/core";
import {
  attemptOf,
  CloudEventsHeaders,
  decodeEnvelope,
  hasBinaryCloudEvent,
  type RunLedger,
  runsCarried,
} from "@mailroom/core/transport";
import type { ConsumeMessage } from "amqplib";
import { copyKey } from "./delivery.ts";
import type { ResolvedOptions } from "./options.ts";
import { readProperties } from "./properties.ts";

/** Strips a leading byte order mark, as the JSON codec's decoder does. */
const utf8 = new TextDecoder();

/** A received message as an envelope, and the runs its copy carried (for the run ledger). */
export interface Decoded {
  envelope: Envelope | DecodeFailure;
  runsBefore: number;
}

/**
 * Decode a received message. `attempt` follows core's rule in `receives` mode: every retry and
 * defer is a re-published copy carrying the runs so far (`mailroom-attempt`), but the broker's
 * own count — `x-delivery-count` on quorum queues — also counts deliveries that never ran
 * (prefetched when a channel died, given back at shutdown, held after a refused copy), so it is
 * not a run count: attempt = runs carried + runs this process saw end without a copy + 1. Where
 * the broker gives a count it becomes `transport.receiveCount`, which core holds against the
 * receive limit (`maxReceives`), catching a message that crashes its workers over and over.
 */
export function decodeMessage(message: ConsumeMessage, options: ResolvedOptions, runs: RunLedger): Decoded {
  const read = readProperties(message.properties, options.nameFrom);
  const runsBefore = runsCarried(read.meta.headers);
  const deliveryCount = message.properties.headers?.["x-delivery-count"];
  // Quorum queues add the header from the first redelivery on: absent there means 0.
  const brokerCount =
    typeof deliveryCount === "number" ? deliveryCount : options.queueType === "quorum" ? 0 : undefined;
  const attempt = attemptOf({
    counts: "receives",
    runsBefore,
    receiveCount: 1 + (brokerCount ?? 0),
    runsSeen: runs.size > 0 ? runs.runs(copyKey(message, runsBefore)) : 0,
  });
  const transport = {
    kind: "amqp",
    queue: options.queue,
    raw: message,
    receiveCount: brokerCount === undefined ? undefined : brokerCount + 1,
  };
  const envelope = decodeEnvelope(options.codec, message.content, read.meta, { attempt, transport });
  if (
    read.propertyWins &&
    !isDecodeFailure(envelope) &&
    envelope.name !== read.meta.name &&
    options.codec.name === "json" &&
    // A CloudEvent or a protobuf body names itself: its format was read, not the codec's.
    read.meta.headers[CloudEventsHeaders.contentType] === undefined &&
    !hasBinaryCloudEvent(read.meta.headers)
  ) {
    // The order ranks a property above the body: the property names it and the whole body is the
    // data, read as the codec read it (a UTF-8 byte order mark is not part of the JSON).
    const data: unknown = JSON.parse(utf8.decode(message.content));
    return { envelope: { ...envelope, name: read.meta.name!, data }, runsBefore };
  }
  return { envelope, runsBefore };
}
