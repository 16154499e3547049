import type { ChannelModel } from "amqplib";

interface Corkable {
  cork(): void;
  uncork(): void;
}

interface Muxer {
  _readIncoming(): void;
}

const patched = new WeakSet<object>();

/**
 * Make amqplib send all the frames it flushes in one go (every basic.ack, basic.publish of one
 * event-loop turn) as one `writev` instead of one syscall per frame. amqplib's muxer already
 * collects the channels' frames and writes them in a loop on `setImmediate`; corking the socket
 * around that loop coalesces the writes. Frames are unchanged: per-message acks stay
 * per-message. The syscalls cost more CPU than the rest of the consume path, so this is most of
 * the difference against a plain amqplib consumer. Does nothing when amqplib's internals are not
 * as expected.
 */
export function coalesceWrites(model: ChannelModel): void {
  const connection = (
    model as unknown as { connection?: { stream?: Partial<Corkable>; muxer?: Partial<Muxer> } }
  ).connection;
  const stream = connection?.stream;
  const muxer = connection?.muxer;
  if (!stream || !muxer || typeof stream.cork !== "function" || typeof stream.uncork !== "function") return;
  if (typeof muxer._readIncoming !== "function" || patched.has(muxer)) return;
  patched.add(muxer);
  const socket = stream as Corkable;
  const flush = muxer._readIncoming;
  muxer._readIncoming = function readIncomingCorked(this: Muxer) {
    socket.cork();
    try {
      flush.call(this);
    } finally {
      socket.uncork();
    }
  };
}
