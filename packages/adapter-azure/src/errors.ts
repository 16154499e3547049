import { isRestError } from "@azure/storage-queue";
import { RefusedError, TransportError } from "@mailroom/core";

/** Environment variables the transport reads credentials from (never logged). */
export const CREDENTIAL_ENV = {
  connectionString: "AZURE_STORAGE_CONNECTION_STRING",
  accountKey: "AZURE_STORAGE_KEY",
  sasToken: "AZURE_STORAGE_SAS_TOKEN",
} as const;

/**
 * A Storage Queue request that failed: the service's error code (`QueueNotFound`,
 * `PopReceiptMismatch`, …) and HTTP status, or no status when the service could not be reached.
 * The message never holds credentials or the request URL.
 */
export class AzureQueueError extends TransportError {
  /** HTTP status, or undefined when no answer came (connection refused, DNS, timeout). */
  readonly status: number | undefined;
  /** The service's error code (`x-ms-error-code`), or the network error's code. */
  readonly azureCode: string | undefined;
  constructor(
    what: string,
    status: number | undefined,
    azureCode: string | undefined,
    options?: ErrorOptions,
  ) {
    const why =
      status === undefined
        ? `no answer (${azureCode ?? "network error"})`
        : `${status} ${azureCode ?? ""}`.trim();
    super(`Azure Storage ${what} failed: ${why}`, options);
    this.status = status;
    this.azureCode = azureCode;
  }

  /** The service refused the credentials or the permission (403). */
  get refusedCredentials(): boolean {
    return this.status === 403 || this.status === 401;
  }

  /** The queue does not exist (404 QueueNotFound). */
  get queueNotFound(): boolean {
    return this.status === 404 && this.azureCode === "QueueNotFound";
  }

  /** The message is gone or another receive took it: its pop receipt no longer works. */
  get messageGone(): boolean {
    return (
      (this.status === 404 && this.azureCode === "MessageNotFound") || this.azureCode === "PopReceiptMismatch"
    );
  }
}

/** Run one SDK call, turning its failure into an `AzureQueueError` that names `what` (and an abort into itself). */
export async function call<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toAzureError(what, error);
  }
}

/** `error` as an `AzureQueueError` (an abort stays an abort). */
export function toAzureError(what: string, error: unknown): Error {
  if (error instanceof AzureQueueError) return error;
  if ((error as Error | undefined)?.name === "AbortError") return error as Error;
  if (isRestError(error)) {
    const code = (error.response?.headers.get("x-ms-error-code") ?? error.code ?? undefined) || undefined;
    return new AzureQueueError(what, error.statusCode, code, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new AzureQueueError(what, undefined, code ?? (error as Error | undefined)?.message?.slice(0, 120), {
    cause: error,
  });
}

/** The one-line `RefusedError` for credentials the service refused on `queue` (never repeating them). */
export function refusedCredentials(
  error: AzureQueueError,
  queue: string,
  account: string | undefined,
): RefusedError {
  return new RefusedError(
    `Azure Storage refused the credentials (${error.status} ${error.azureCode ?? ""}) on queue "${queue}" of account "${account ?? "?"}": check ${CREDENTIAL_ENV.connectionString} / ${CREDENTIAL_ENV.accountKey} / ${CREDENTIAL_ENV.sasToken} (a SAS needs read, add, update and process permissions), and the clock`,
  );
}
