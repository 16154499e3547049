import type { Codec } from "@mailroom/core";
import type { RedisOptions } from "ioredis";

/** Options of a Redis transport; the URL's query sets the same ones (see the README's table). */
export interface RedisTransportOptions {
  /** The stream consumed and published to (`?stream=`). Default `mailroom`. */
  stream?: string;
  /** The consumer group that is the queue (`?group=`). Default `mailroom`. */
  group?: string;
  /** The dead-letter stream (`?dlq=`). Default `<stream>:dlq`. */
  deadLetterStream?: string;
  /**
   * How long a received entry may stay pending without a heartbeat before another consumer
   * reclaims it (XAUTOCLAIM min-idle-time), ms (`?visibility=`). Default 30000.
   */
  visibilityTimeoutMs?: number;
  /** Longest a receive waits for an entry before it answers empty, ms (`?wait=`). Default 1000. */
  waitMs?: number;
  /**
   * Create the stream and the group (reading from the stream's first entry) when missing
   * (`?create=`). Default true; with false a missing stream or group stops a worker at start-up.
   */
  create?: boolean;
  /** Prefix of this process's consumer names (`?consumer=`). Default `<hostname>-<pid>`; each source adds a random suffix. */
  consumer?: string;
  /** Codec of bodies. Default `jsonCodec()`. */
  codec?: Codec;
  /** More ioredis options (TLS certificates, sentinels, timeouts), merged over what the URL says. */
  redis?: RedisOptions;
}
