import { ConfigError, parseDuration } from "@mailroom/core";
import { DEV_ACCOUNT, DEV_QUEUE_ENDPOINT, NEVER_EXPIRES } from "./limits.ts";
import type { AzureQueueTransportOptions } from "./options.ts";

/** What a transport URL says, before options and the environment are merged in. */
export interface ParsedAzureUrl {
  /** Queue service endpoint with the account in the path where it is path-style (Azurite). */
  endpoint: string | undefined;
  account: string | undefined;
  queue: string;
  /** `?connection=NAME`: the environment variable holding the connection string (as a Functions binding names it). */
  connectionEnv: string | undefined;
  options: AzureQueueTransportOptions;
}

// Storage queue names: 3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
const QUEUE = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const ACCOUNT_HOST = /^([a-z0-9]{3,24})\.queue\.core\.windows\.net$/;

/**
 * Parse an `azure-queue://` URL:
 * - `azure-queue://<account>/<queue>` or `azure-queue://<account>.queue.core.windows.net/<queue>` (HTTPS);
 * - `azure-queue://devstoreaccount1/<queue>`: the development storage account (Azurite on 127.0.0.1:10001);
 * - `azure-queue+http://<host:port>/<account>/<queue>`: a path-style endpoint over HTTP (Azurite elsewhere);
 * - `azure-queue://<any>/<queue>?connection=AzureWebJobsStorage`: the connection string in that
 *   environment variable names the account and endpoint.
 * `<account>:<key>@` gives the account key (URL-encoded). Query: `connection`, `poison`, `encoding`,
 * `receiveEncoding`, `visibility`, `ttl`, `wait`, `minPoll`, `maxPoll`, `create`. Errors never
 * repeat the key.
 */
export function parseAzureUrl(url: string | URL): ParsedAzureUrl {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    throw new ConfigError("not a valid Azure queue transport URL; use azure-queue://<account>/<queue>");
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== "azure-queue" && scheme !== "azure-queue+http" && scheme !== "azure-queue+https") {
    throw new ConfigError(
      `"${scheme}:" is not an Azure queue scheme; use azure-queue:// or azure-queue+http://`,
    );
  }
  const path = u.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const pathStyle = scheme !== "azure-queue";
  const queue = path.at(-1) ?? "";
  if (!QUEUE.test(queue)) {
    throw new ConfigError(
      `"${queue}" is not a Storage queue name (3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit); put it last in the path: azure-queue://<account>/<queue>`,
    );
  }
  const options: AzureQueueTransportOptions = queryOptions(u.searchParams);
  if (u.password) options.accountKey = decodeURIComponent(u.password);
  const host = u.hostname.toLowerCase();
  let endpoint: string | undefined;
  let account: string | undefined;
  if (pathStyle) {
    account = path.length >= 2 ? path[0] : u.username || undefined;
    if (!account)
      throw new ConfigError(
        "a path-style URL names the account before the queue: azure-queue+http://<host:port>/<account>/<queue>",
      );
    endpoint = `${scheme === "azure-queue+https" ? "https" : "http"}://${u.host}/${account}`;
  } else if (host === DEV_ACCOUNT || host === "usedevelopmentstorage") {
    account = DEV_ACCOUNT;
    endpoint = DEV_QUEUE_ENDPOINT;
  } else {
    account = ACCOUNT_HOST.exec(host)?.[1] ?? (/^[a-z0-9]{3,24}$/.test(host) ? host : undefined);
    if (account) endpoint = `https://${account}.queue.core.windows.net`;
  }
  if (u.username && !pathStyle && account && u.username !== account) {
    throw new ConfigError(
      `the URL's user "${u.username}" is not its account "${account}": give the key as azure-queue://<account>:<key>@<account>/<queue>`,
    );
  }
  return { endpoint, account, queue, connectionEnv: u.searchParams.get("connection") ?? undefined, options };
}

function queryOptions(q: URLSearchParams): AzureQueueTransportOptions {
  const options: AzureQueueTransportOptions = {};
  const poison = q.get("poison");
  if (poison) options.poisonQueue = poison;
  const encoding = q.get("encoding");
  if (encoding) options.bodyEncoding = oneOf(encoding, ["base64", "text"] as const, "encoding");
  const receiveEncoding = q.get("receiveEncoding");
  if (receiveEncoding)
    options.receiveEncoding = oneOf(receiveEncoding, ["auto", "base64", "text"] as const, "receiveEncoding");
  const visibility = q.get("visibility");
  if (visibility) options.visibilityTimeoutMs = seconds(visibility);
  const ttl = q.get("ttl");
  if (ttl) options.messageTtlMs = ttl === "never" || ttl === "-1" ? NEVER_EXPIRES : seconds(ttl);
  const wait = q.get("wait");
  if (wait) options.waitMs = seconds(wait);
  const minPoll = q.get("minPoll");
  if (minPoll) options.minPollMs = parseDuration(minPoll);
  const maxPoll = q.get("maxPoll");
  if (maxPoll) options.maxPollMs = parseDuration(maxPoll);
  if (q.has("create")) options.createQueues = q.get("create") !== "false";
  return options;
}

/** A duration where a bare number means seconds (`30` = `30s`). */
function seconds(text: string): number {
  return parseDuration(/^\d+$/.test(text) ? `${text}s` : text);
}

function oneOf<T extends string>(text: string, values: readonly T[], name: string): T {
  if (!(values as readonly string[]).includes(text)) {
    throw new ConfigError(`${name}=${text} is not one of ${values.join(", ")}`);
  }
  return text as T;
}
