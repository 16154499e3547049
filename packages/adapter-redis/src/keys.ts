/**
 * The Redis keys of one Mailroom stream. The stream itself has the name producers use (`orders`);
 * what Mailroom adds sits beside it under the same prefix.
 */
export interface StreamKeys {
  /** The stream entries are added to and read from by the consumer group. */
  readonly stream: string;
  /** The dead-letter stream. */
  readonly deadLetters: string;
  /** Sorted set of delayed and scheduled entries, scored by due time (ms). */
  readonly delayed: string;
  /** Hash: FIFO group → `<where> <message id>` of the one message of that group in the stream or the sorted set. */
  readonly heads: string;
  /** Count of the FIFO messages parked behind their group's head. */
  readonly parked: string;
  /** A one-entry stream a scheduling write touches when its entry is the earliest: waiting receives wake. */
  readonly wake: string;
  /** Prefix of the per-group lists that park FIFO messages behind their group's head. */
  readonly parkedPrefix: string;
}

/** The keys of `stream`, with its dead-letter stream (default `<stream>:dlq`). */
export function streamKeys(stream: string, deadLetters = `${stream}:dlq`): StreamKeys {
  return {
    stream,
    deadLetters,
    delayed: `${stream}:delayed`,
    heads: `${stream}:groups`,
    parked: `${stream}:parked`,
    wake: `${stream}:wake`,
    parkedPrefix: `${stream}:group:`,
  };
}

/** The six keys the receive, settle and schedule scripts take, in their order. */
export function scriptKeys(keys: StreamKeys): string[] {
  return [keys.stream, keys.delayed, keys.heads, keys.parked, keys.deadLetters, keys.wake];
}
