import { RefusedError } from "@mailroom/core";
import type { StorageQueues } from "./client.ts";
import { AzureQueueError, call, refusedCredentials } from "./errors.ts";

/** The queues a source works on. */
export interface ConnectCheck {
  readonly queues: StorageQueues;
  readonly queue: string;
  readonly poisonQueue: string;
}

/**
 * The start-up check of a Storage Queue source (`Source.connect`): Get Queue Metadata of the
 * queue, then of its poison queue. Rejects with a `RefusedError` (a `ConfigError`) of one line for
 * what waiting cannot fix — credentials or permissions refused (never repeating them), the queue
 * or the poison queue missing — and with a `TransportError` (`AzureQueueError`) while the service
 * cannot be reached or answers with a server error, so the Worker waits and tries again.
 */
export async function checkQueues(check: ConnectCheck, signal: AbortSignal): Promise<void> {
  const { queues, queue, poisonQueue } = check;
  await readQueue(check, queue, signal, () => {
    return `the Storage queue "${queue}" does not exist in account "${queues.account}": create it, fix the queue name in the transport URL, or open it with ?create=true`;
  });
  await readQueue(check, poisonQueue, signal, () => {
    return `the poison (dead-letter) queue "${poisonQueue}" of Storage queue "${queue}" does not exist, so failed messages could not be dead-lettered: create it, name an existing one with ?poison=, or open with ?create=true`;
  });
}

async function readQueue(
  check: ConnectCheck,
  name: string,
  signal: AbortSignal,
  missing: () => string,
): Promise<void> {
  try {
    await call(`Get Queue Metadata of "${name}"`, () =>
      check.queues.queue(name).getProperties({ abortSignal: signal }),
    );
  } catch (error) {
    if (error instanceof AzureQueueError) {
      if (error.queueNotFound) throw new RefusedError(missing());
      if (error.refusedCredentials) throw refusedCredentials(error, name, check.queues.account);
    }
    throw error;
  }
}
