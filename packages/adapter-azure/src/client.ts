import {
  type QueueClient,
  QueueServiceClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-queue";
import { ConfigError } from "@mailroom/core";
import { CREDENTIAL_ENV } from "./errors.ts";
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY } from "./limits.ts";

/** Where the queues are and how to sign requests; resolved once from options, URL and environment. */
export interface StorageAccess {
  /** Queue service endpoint (no credentials, no SAS). */
  readonly endpoint: string;
  readonly account: string | undefined;
  readonly credential:
    | { kind: "connectionString"; connectionString: string }
    | { kind: "key"; key: string }
    | { kind: "sas"; token: string };
}

/** The SDK's own retries stay short: the Worker backs off between receives and waits at start-up itself. */
const pipeline: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 30_000 },
};

/**
 * The queue clients of one storage account, one `QueueServiceClient` (and its HTTP agent) shared by
 * every queue a transport touches: the queue, its poison queue, and `Outgoing.to` destinations.
 */
export class StorageQueues {
  readonly service: QueueServiceClient;
  readonly access: StorageAccess;
  readonly #queues = new Map<string, QueueClient>();

  constructor(access: StorageAccess) {
    this.access = access;
    this.service = serviceClient(access);
  }

  /** The client of queue `name` (cached). */
  queue(name: string): QueueClient {
    let client = this.#queues.get(name);
    if (!client) {
      client = this.service.getQueueClient(name);
      this.#queues.set(name, client);
    }
    return client;
  }

  /** The account, for messages (never the key). */
  get account(): string {
    return this.access.account ?? this.service.accountName;
  }
}

function serviceClient(access: StorageAccess): QueueServiceClient {
  const c = access.credential;
  if (c.kind === "connectionString")
    return QueueServiceClient.fromConnectionString(c.connectionString, pipeline);
  if (c.kind === "sas") {
    const token = c.token.replace(/^\?/, "");
    return new QueueServiceClient(`${access.endpoint}?${token}`, undefined, pipeline);
  }
  if (!access.account)
    throw new ConfigError("an account key needs the account name: azure-queue://<account>/<queue>");
  return new QueueServiceClient(
    access.endpoint,
    new StorageSharedKeyCredential(access.account, c.key),
    pipeline,
  );
}

/** What the transport was told, before the environment is consulted. */
export interface AccessInput {
  endpoint?: string | undefined;
  account?: string | undefined;
  connectionString?: string | undefined;
  /** Name of an environment variable holding the connection string (`?connection=`). */
  connectionEnv?: string | undefined;
  accountKey?: string | undefined;
  sasToken?: string | undefined;
}

/**
 * Resolve the credentials, in order: a connection string (option, then the variable `?connection=`
 * names), an account key (option or URL, then `AZURE_STORAGE_KEY`), a SAS token (option, then
 * `AZURE_STORAGE_SAS_TOKEN`), then `AZURE_STORAGE_CONNECTION_STRING`; the development account
 * needs none. Throws a `ConfigError` naming what to set, never repeating a secret.
 */
export function resolveAccess(input: AccessInput, env: NodeJS.ProcessEnv = process.env): StorageAccess {
  const named = input.connectionEnv ? env[input.connectionEnv] : undefined;
  if (input.connectionEnv && !named && !input.connectionString) {
    throw new ConfigError(
      `?connection=${input.connectionEnv} names an environment variable that is not set: set it to the storage connection string`,
    );
  }
  const connectionString = input.connectionString ?? named;
  if (connectionString) return fromConnectionString(connectionString);
  const endpoint = input.endpoint;
  const key =
    input.accountKey ??
    env[CREDENTIAL_ENV.accountKey] ??
    (input.account === DEV_ACCOUNT ? DEV_ACCOUNT_KEY : undefined);
  if (endpoint && key) return { endpoint, account: input.account, credential: { kind: "key", key } };
  const sas = input.sasToken ?? env[CREDENTIAL_ENV.sasToken];
  if (endpoint && sas) return { endpoint, account: input.account, credential: { kind: "sas", token: sas } };
  const fromEnv = env[CREDENTIAL_ENV.connectionString];
  if (fromEnv) {
    const access = fromConnectionString(fromEnv);
    if (!input.account || access.account === undefined || access.account === input.account) return access;
  }
  throw new ConfigError(
    `Azure Storage credentials are missing for account "${input.account ?? "?"}": set ${CREDENTIAL_ENV.connectionString} (or name a variable with ?connection=), ${CREDENTIAL_ENV.accountKey} or ${CREDENTIAL_ENV.sasToken}, or give the key as azure-queue://<account>:<key>@<account>/<queue>`,
  );
}

/** The endpoint and account of a connection string (the SDK parses it again for the key). */
function fromConnectionString(connectionString: string): StorageAccess {
  const parts = new Map<string, string>();
  for (const part of connectionString.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  if (parts.get("usedevelopmentstorage") === "true") {
    const proxy = parts.get("developmentstorageproxyuri");
    return {
      endpoint: proxy
        ? `${proxy.replace(/\/$/, "")}:10001/${DEV_ACCOUNT}`
        : `http://127.0.0.1:10001/${DEV_ACCOUNT}`,
      account: DEV_ACCOUNT,
      credential: { kind: "connectionString", connectionString },
    };
  }
  const account = parts.get("accountname");
  const endpoint =
    parts.get("queueendpoint") ??
    (account
      ? `${parts.get("defaultendpointsprotocol") ?? "https"}://${account}.queue.${parts.get("endpointsuffix") ?? "core.windows.net"}`
      : undefined);
  if (!endpoint) {
    throw new ConfigError(
      "the storage connection string names no account or QueueEndpoint (expected AccountName=…;AccountKey=… or UseDevelopmentStorage=true)",
    );
  }
  return {
    endpoint: endpoint.replace(/\/$/, ""),
    account,
    credential: { kind: "connectionString", connectionString },
  };
}
