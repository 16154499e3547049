import { ConfigError } from "@mailroom/core";
import { describe, expect, it } from "vitest";
import { resolveAccess } from "./client.ts";
import { DEV_ACCOUNT_KEY, NEVER_EXPIRES } from "./limits.ts";
import { parseAzureUrl } from "./url.ts";

describe("parseAzureUrl", () => {
  it("reads an account name or its queue host, the queue, and the options of the query", () => {
    expect(parseAzureUrl("azure-queue://mystore/orders")).toMatchObject({
      account: "mystore",
      endpoint: "https://mystore.queue.core.windows.net",
      queue: "orders",
    });
    const p = parseAzureUrl(
      "azure-queue://mystore.queue.core.windows.net/orders?poison=failed&encoding=text&receiveEncoding=base64&visibility=45&ttl=2d&wait=10s&minPoll=50ms&maxPoll=2s&create=true",
    );
    expect(p.account).toBe("mystore");
    expect(p.options).toEqual({
      poisonQueue: "failed",
      bodyEncoding: "text",
      receiveEncoding: "base64",
      visibilityTimeoutMs: 45_000,
      messageTtlMs: 2 * 86_400_000,
      waitMs: 10_000,
      minPollMs: 50,
      maxPollMs: 2_000,
      createQueues: true,
    });
    expect(parseAzureUrl("azure-queue://mystore/orders?ttl=never").options.messageTtlMs).toBe(NEVER_EXPIRES);
  });

  it("knows the development storage account, path-style endpoints and ?connection=", () => {
    expect(parseAzureUrl("azure-queue://devstoreaccount1/orders")).toMatchObject({
      account: "devstoreaccount1",
      endpoint: "http://127.0.0.1:10001/devstoreaccount1",
    });
    expect(parseAzureUrl("azure-queue+http://127.0.0.1:10099/devstoreaccount1/orders")).toMatchObject({
      account: "devstoreaccount1",
      endpoint: "http://127.0.0.1:10099/devstoreaccount1",
      queue: "orders",
    });
    expect(parseAzureUrl("azure-queue://mystore/orders?connection=AzureWebJobsStorage").connectionEnv).toBe(
      "AzureWebJobsStorage",
    );
  });

  it("refuses a queue name Storage would refuse, and another scheme, with what to do", () => {
    expect(() => parseAzureUrl("azure-queue://mystore/Orders")).toThrow(/not a Storage queue name/);
    expect(() => parseAzureUrl("azure-queue://mystore/a--b")).toThrow(ConfigError);
    expect(() => parseAzureUrl("sqs://mystore/orders")).toThrow(/not an Azure queue scheme/);
    expect(() => parseAzureUrl("azure-queue://mystore/orders?encoding=utf16")).toThrow(
      /encoding=utf16 is not one of/,
    );
  });

  it("takes the account key from the URL's password and never repeats it in an error", () => {
    const secret = "c2VjcmV0LWtleQ==";
    const p = parseAzureUrl(`azure-queue://mystore:${encodeURIComponent(secret)}@mystore/orders`);
    expect(p.options.accountKey).toBe(secret);
    let message = "";
    try {
      parseAzureUrl(`azure-queue://other:${encodeURIComponent(secret)}@mystore/orders`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/is not its account/);
    expect(message).not.toContain(secret);
  });
});

describe("resolveAccess", () => {
  it("takes credentials from a connection string first, then a key, then a SAS, then the environment", () => {
    const cs =
      "DefaultEndpointsProtocol=https;AccountName=mystore;AccountKey=a2V5;EndpointSuffix=core.windows.net";
    expect(resolveAccess({ account: "x", connectionString: cs }, {})).toMatchObject({
      endpoint: "https://mystore.queue.core.windows.net",
      account: "mystore",
      credential: { kind: "connectionString" },
    });
    expect(
      resolveAccess(
        { connectionEnv: "AzureWebJobsStorage" },
        { AzureWebJobsStorage: "UseDevelopmentStorage=true" },
      ),
    ).toMatchObject({
      endpoint: "http://127.0.0.1:10001/devstoreaccount1",
      account: "devstoreaccount1",
    });
    const endpoint = "https://mystore.queue.core.windows.net";
    expect(resolveAccess({ endpoint, account: "mystore" }, { AZURE_STORAGE_KEY: "a2V5" }).credential).toEqual(
      { kind: "key", key: "a2V5" },
    );
    expect(
      resolveAccess({ endpoint, account: "mystore" }, { AZURE_STORAGE_SAS_TOKEN: "?sv=1&sig=x" }).credential,
    ).toEqual({
      kind: "sas",
      token: "?sv=1&sig=x",
    });
    expect(
      resolveAccess({ endpoint, account: "mystore" }, { AZURE_STORAGE_CONNECTION_STRING: cs }).account,
    ).toBe("mystore");
    expect(
      resolveAccess({ endpoint: "http://127.0.0.1:10001/devstoreaccount1", account: "devstoreaccount1" }, {})
        .credential,
    ).toEqual({
      kind: "key",
      key: DEV_ACCOUNT_KEY,
    });
  });

  it("says which variables to set when there are no credentials, and when ?connection= names an unset one", () => {
    expect(() =>
      resolveAccess({ endpoint: "https://mystore.queue.core.windows.net", account: "mystore" }, {}),
    ).toThrow(/credentials are missing for account "mystore": set AZURE_STORAGE_CONNECTION_STRING/);
    expect(() => resolveAccess({ connectionEnv: "AzureWebJobsStorage" }, {})).toThrow(
      /AzureWebJobsStorage names an environment variable that is not set/,
    );
  });
});
