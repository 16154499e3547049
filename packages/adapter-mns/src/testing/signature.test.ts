import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { sign, stringToSign, verifyRequest } from "./signature.ts";

describe("MNS request signature", () => {
  it("matches what @alicloud/mns signs", () => {
    const Client = createRequire(import.meta.url)("@alicloud/mns") as new (
      id: string,
      o: object,
    ) => { buildHeaders(m: string, b: string, r: string, h?: object): Record<string, string> };
    const c = new Client("1", {
      endpoint: "http://127.0.0.1:1",
      accessKeyId: "id",
      accessKeySecret: "secret",
    });
    const body = "<Message><MessageBody>x</MessageBody></Message>";
    const resource = "/queues/q/messages?x=1";
    const headers = c.buildHeaders("POST", body, resource);
    const expected = sign("secret", stringToSign("POST", headers, resource));
    expect(headers.authorization).toBe(`MNS id:${expected}`);
    expect(() =>
      verifyRequest("POST", resource, headers, Buffer.from(body), [
        { accessKeyId: "id", accessKeySecret: "secret" },
      ]),
    ).not.toThrow();
  });

  it("refuses a stale date, a changed body and a missing STS token", () => {
    const keys = [{ accessKeyId: "id", accessKeySecret: "s", securityToken: "tok" }];
    const date = new Date(Date.now() - 20 * 60_000).toUTCString();
    const headers = { date, "x-mns-version": "2015-06-06" };
    const auth = (h: Record<string, string>) => `MNS id:${sign("s", stringToSign("GET", h, "/queues"))}`;
    expect(() =>
      verifyRequest("GET", "/queues", { ...headers, authorization: auth(headers) }, Buffer.alloc(0), keys),
    ).toThrow(/expired/);
    const fresh = { date: new Date().toUTCString(), "x-mns-version": "2015-06-06" };
    expect(() =>
      verifyRequest("GET", "/queues", { ...fresh, authorization: auth(fresh) }, Buffer.alloc(0), keys),
    ).toThrow(/security token/);
    const md5 = { ...fresh, "content-md5": Buffer.from("0".repeat(32)).toString("base64") };
    expect(() =>
      verifyRequest(
        "GET",
        "/queues",
        { ...md5, authorization: auth(md5), "security-token": "tok" },
        Buffer.from("body"),
        keys,
      ),
    ).toThrow(/Content-MD5/);
  });
});
