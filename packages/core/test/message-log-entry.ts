import type { MessageLogEntry } from "../src/message-log/index.ts";

/** A message log entry for tests: an ack of "x" on sqlite queue "q", with `fields` over it. */
export function logEntry(fields: Partial<MessageLogEntry> & { id: string }): MessageLogEntry {
  return {
    name: "x",
    parentId: undefined,
    correlationId: undefined,
    attempt: 1,
    outcome: "ack",
    reason: undefined,
    delayMs: undefined,
    receivedAt: 1,
    startedAt: 1,
    finishedAt: 2,
    durationMs: 1,
    transport: "sqlite",
    queue: "q",
    ...fields,
  };
}
