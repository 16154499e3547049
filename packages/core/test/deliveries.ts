import { decodeEnvelope } from "../src/codec/codec.ts";
import { jsonCodec } from "../src/codec/json.ts";
import type { Delivery } from "../src/transport.ts";

/** A constructed delivery whose settle calls are recorded in `calls` (and `log`, as `<label>:<call>`). */
export type RecordingDelivery = Delivery & { calls: string[] };

/**
 * A `{ name, data }` message as a transport would deliver it, recording what is done to it; for
 * unit tests of the runtimes (push dispatch, the Worker) without a broker.
 */
export function recordingDelivery(
  name: string,
  data: unknown,
  options: {
    groupId?: string;
    id?: string;
    headers?: Record<string, string>;
    log?: string[];
    label?: string;
    failSettle?: boolean;
  } = {},
): RecordingDelivery {
  const calls: string[] = [];
  const envelope = decodeEnvelope(
    jsonCodec(),
    new TextEncoder().encode(JSON.stringify({ name, data })),
    { id: options.id, headers: options.headers ?? {} },
    { attempt: 1, transport: { kind: "test", queue: "q", raw: null, groupId: options.groupId } },
  );
  const label = options.label ?? JSON.stringify(data);
  const rec = (what: string) => async () => {
    calls.push(what);
    options.log?.push(`${label}:${what}`);
    if (options.failSettle) throw new Error(`${what} refused`);
  };
  return {
    envelope,
    calls,
    ack: rec("ack"),
    retry: rec("retry"),
    defer: rec("defer"),
    release: rec("release"),
    deadLetter: rec("deadLetter"),
    extend: rec("extend"),
  };
}
