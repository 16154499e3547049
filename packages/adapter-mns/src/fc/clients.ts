import { ConfigError } from "@mailroom/core/push";
import { MnsClient } from "../client/client.ts";
import { CREDENTIAL_ENV } from "../credentials.ts";
import type { FcMessage } from "./events.ts";

/** Where and as whom a push handler reaches MNS; every field has a default from the event, context or environment. */
export interface FcClientOptions {
  endpoint?: string | undefined;
  accountId?: string | undefined;
  accessKeyId?: string | undefined;
  accessKeySecret?: string | undefined;
  securityToken?: string | undefined;
}

/** The parts of FC's `context` the handler reads. */
export interface FcContext {
  requestId?: string;
  /** FC passes the function role's temporary credentials here. */
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  region?: string;
  accountId?: string;
  function?: { name?: string; timeout?: number };
}

/**
 * MNS clients of one handler instance: one per endpoint, made on first need (a message to copy,
 * a publish) and replaced when FC hands over rotated role credentials.
 */
export class FcClients {
  readonly #options: FcClientOptions;
  readonly #clients = new Map<string, { key: string; client: MnsClient }>();

  constructor(options: FcClientOptions) {
    this.#options = options;
  }

  /** The client for `message`'s account and region. Throws a `ConfigError` when the endpoint or credentials are unknown. */
  for(message: FcMessage | undefined, context: FcContext): MnsClient {
    const o = this.#options;
    const accountId = o.accountId ?? message?.accountId ?? context.accountId;
    const region = message?.region ?? context.region ?? process.env.FC_REGION;
    const endpoint =
      o.endpoint ??
      (accountId && region ? `http://${accountId}.mns.${region}-internal.aliyuncs.com` : undefined);
    if (!endpoint || !accountId) {
      throw new ConfigError("toAliyunFC needs `endpoint` and `accountId` to reach MNS for this message");
    }
    const env = process.env;
    const creds = context.credentials ?? {};
    const accessKeyId = o.accessKeyId ?? creds.accessKeyId ?? env[CREDENTIAL_ENV.accessKeyId];
    const accessKeySecret = o.accessKeySecret ?? creds.accessKeySecret ?? env[CREDENTIAL_ENV.accessKeySecret];
    const securityToken = o.securityToken ?? creds.securityToken ?? env[CREDENTIAL_ENV.securityToken];
    if (!accessKeyId || !accessKeySecret) {
      throw new ConfigError(
        "toAliyunFC has no credentials: give the function a role (FC passes context.credentials), or set accessKeyId / accessKeySecret",
      );
    }
    const key = `${accessKeyId}\n${securityToken ?? ""}`;
    const cached = this.#clients.get(endpoint);
    if (cached && cached.key === key) return cached.client;
    const client = new MnsClient({ accountId, endpoint, accessKeyId, accessKeySecret, securityToken });
    this.#clients.set(endpoint, { key, client });
    return client;
  }
}
