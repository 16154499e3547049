import type { Codec } from "../codec/codec.ts";
import type { DeadLetter, Transport } from "../transport.ts";

/** What a transport can do; the conformance suite skips (and says so) what it cannot. */
export interface ConformanceFeatures {
  /** FIFO groups: ordering within a group is tested. Default false. */
  fifo: boolean;
  /** Messages become visible again after a visibility timeout (SQS, MNS, Azure, SQLite). Default true. False for AMQP (held until ack). */
  visibilityTimeout: boolean;
  /** Shortest retry delay the transport honours with precision, ms. Default 0. (SQS/MNS: 1000.) */
  minDelayMs: number;
  /** Largest body the transport itself accepts, bytes. The oversized-poison test stays under it. Default 1 MiB. */
  maxBodyBytes: number;
  /**
   * A queue can exist without a dead-letter destination (`open(queue, { deadLetter: false })`), and
   * a worker on it must refuse to start (`Source.connect` rejects with a `ConfigError`). Default
   * false: the local queues always have one.
   */
  deadLetterCheck: boolean;
  /** The transport makes requests (`Transport.requester`): request / reply is tested. Default true. */
  requests: boolean;
}

/** Options for one queue opened by the suite. */
export interface OpenOptions {
  /** Visibility timeout to configure on the queue / source, ms (whole seconds on cloud transports). */
  visibilityTimeoutMs: number;
  /** Open a FIFO queue (only asked when `features.fifo`). */
  fifo?: boolean;
  /** Codec the transport must decode with (the poison tests lower its limits). Default: `jsonCodec()`. */
  codec?: Codec;
  /**
   * `false`: the queue has NO dead-letter destination (only asked when `features.deadLetterCheck`).
   * Default true.
   */
  deadLetter?: boolean;
}

/**
 * How the conformance suite reaches a transport. Every adapter's tests provide one, pointed at
 * a real server.
 */
export interface ConformanceTarget {
  /** Shown in test names. */
  name: string;
  features?: Partial<ConformanceFeatures>;
  /**
   * A transport on the queue `queue` (created if missing, with its dead-letter destination).
   * Called again with the same name it must reach the same queue: that is how "nothing lost
   * across a worker restart" is tested. Queue names are unique per test.
   */
  open(queue: string, options: OpenOptions): Promise<Transport>;
  /** Put raw bytes on the queue as a foreign producer would: no Mailroom metadata at all. */
  sendRaw(queue: string, body: Uint8Array): Promise<void>;
  /** The queue's dead letters with their reasons. Default: `transport.admin().listDeadLetters()`. */
  deadLetters?(queue: string): Promise<DeadLetter[]>;
  /**
   * Make the queue's dead-letter destination refuse copies from now on (delete it, fill it, …),
   * for the test that a refused dead letter neither loses the message nor spins. Optional: the
   * test is skipped without it. Called before the worker starts: a transport whose
   * `Source.connect` checks that the destination exists must make it refuse, not vanish.
   */
  refuseDeadLetters?(queue: string): Promise<void>;
  /** Called once after the suite. */
  teardown?(): Promise<void>;
}
