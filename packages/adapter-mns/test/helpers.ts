import { createRequire } from "node:module";
import { MnsClient, type MnsClientOptions } from "../src/client/client.ts";
import type { SdkClient } from "../src/client/sdk.ts";
import { type MnsTestServer, startMnsServer, TEST_CREDENTIAL } from "../src/testing/index.ts";

let n = 0;
/** A queue name unique to this test run (MNS names: letters, digits, hyphens). */
export function uniqueQueue(what: string): string {
  return `mr-${what}-${process.pid}-${Date.now().toString(36)}-${n++}`;
}

/** Start a test server for one file. */
export function server(): Promise<MnsTestServer> {
  return startMnsServer();
}

/** The official SDK pointed at the test server, untouched, as a foreign producer uses it. */
export function rawSdk(s: MnsTestServer, keys = TEST_CREDENTIAL): SdkClient & Record<string, unknown> {
  const Client = createRequire(import.meta.url)("@alicloud/mns") as new (
    id: string,
    o: object,
  ) => SdkClient & Record<string, unknown>;
  return new Client(s.accountId, { endpoint: s.endpoint, ...keys });
}

/** Mailroom's typed client on the test server. */
export function client(s: MnsTestServer, options: Partial<MnsClientOptions> = {}): MnsClient {
  return new MnsClient({
    accountId: s.accountId,
    endpoint: s.endpoint,
    accessKeyId: TEST_CREDENTIAL.accessKeyId,
    accessKeySecret: TEST_CREDENTIAL.accessKeySecret,
    ...options,
  });
}

/** The `mns+http://` URL of a queue on the test server. */
export function transportUrl(s: MnsTestServer, queue: string, query = ""): string {
  return `mns+http://${s.endpoint.slice("http://".length)}/${queue}?accountId=${s.accountId}${query ? `&${query}` : ""}`;
}

/** Resolve when `check` holds, polling broker state (never handler outcomes); reject after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
