import { RefusedError, TransportError } from "@mailroom/core";
import type { MnsClient } from "./client/client.ts";
import { MnsAuthError, MnsQueueNotExistError } from "./client/errors.ts";
import { CREDENTIAL_ENV } from "./credentials.ts";

/** The queues a source works on. */
export interface ConnectCheck {
  readonly client: MnsClient;
  readonly queue: string;
  readonly deadLetterQueue: string;
}

/**
 * The start-up check of an MNS source (`Source.connect`): one GetQueueAttributes of the queue,
 * then one of its dead-letter queue. Rejects with a `ConfigError` of one line for what waiting
 * cannot fix — credentials refused (never repeating them), the queue or the dead-letter queue
 * missing — and with a `TransportError` (`MnsNetworkError`) while MNS cannot be reached or
 * answers with a server error, so the Worker waits and tries again. `signal` ends the wait.
 */
export async function checkQueues(check: ConnectCheck, signal: AbortSignal): Promise<void> {
  const { client, queue, deadLetterQueue } = check;
  await readQueue(check, queue, signal, () => {
    return `the MNS queue "${queue}" does not exist at ${client.endpoint}: create it, fix the queue name in the transport URL, or open it with ?create=true`;
  });
  await readQueue(check, deadLetterQueue, signal, () => {
    return `the dead-letter queue "${deadLetterQueue}" of MNS queue "${queue}" does not exist, so failed messages could not be dead-lettered: create it, name an existing one with ?dlq=, or open with ?create=true`;
  });
}

async function readQueue(
  check: ConnectCheck,
  name: string,
  signal: AbortSignal,
  missing: () => string,
): Promise<void> {
  try {
    await abortable(check.client.getQueueAttributes(name), signal);
  } catch (error) {
    if (error instanceof MnsQueueNotExistError) throw new RefusedError(missing());
    if (error instanceof MnsAuthError) throw refusedCredentials(error, name);
    throw error;
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new TransportError("the MNS start-up check was aborted"));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The one-line `ConfigError` for credentials MNS refused on `queue` (never repeating them). */
export function refusedCredentials(error: MnsAuthError, queue: string): RefusedError {
  return new RefusedError(
    `MNS refused the credentials (${error.mnsCode}) on queue "${queue}": check ${CREDENTIAL_ENV.accessKeyId} / ${CREDENTIAL_ENV.accessKeySecret} (and ${CREDENTIAL_ENV.securityToken} for STS), the clock, and that the key or role may use this queue`,
  );
}
