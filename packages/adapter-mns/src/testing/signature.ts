import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { errors } from "./protocol-error.ts";

/** The only protocol version MNS queues speak. */
export const MNS_VERSION = "2015-06-06";

/** An AccessKey the server accepts; with `securityToken`, requests must carry it (STS). */
export interface ServerCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * The string MNS signs: `VERB\nContent-MD5\nContent-Type\nDate\n` + every `x-mns-*` header as
 * `name:value\n` sorted by name + the resource (path and query exactly as sent).
 */
export function stringToSign(method: string, headers: IncomingHttpHeaders, resource: string): string {
  const mnsHeaders = Object.keys(headers)
    .filter((k) => k.startsWith("x-mns-"))
    .sort()
    .map((k) => `${k}:${header(headers, k)}\n`)
    .join("");
  return `${method}\n${header(headers, "content-md5")}\n${header(headers, "content-type")}\n${header(headers, "date")}\n${mnsHeaders}${resource}`;
}

/** `base64(hmac-sha1(secret, stringToSign))`. */
export function sign(secret: string, text: string): string {
  return createHmac("sha1", secret).update(text, "utf8").digest("base64");
}

/**
 * Check a request as MNS does: `x-mns-version`, `Authorization: MNS id:signature`, the Date
 * within 15 minutes, the HMAC-SHA1 signature, the STS token when the key needs one, and the
 * Content-MD5 (the SDKs send base64 of the hex digest; base64 of the raw digest is accepted too).
 * Throws an `MnsProtocolError` naming what is wrong.
 */
export function verifyRequest(
  method: string,
  resource: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  credentials: readonly ServerCredential[],
  now: number = Date.now(),
): void {
  const version = header(headers, "x-mns-version");
  if (!version) throw errors.missingVersion();
  if (version !== MNS_VERSION) throw errors.invalidVersion(version);
  const auth = header(headers, "authorization");
  if (!auth) throw errors.missingAuthorization();
  const m = /^MNS ([^:\s]+):(\S+)$/.exec(auth);
  if (!m) throw errors.invalidAuthorization();
  const date = header(headers, "date");
  if (!date) throw errors.missingDate();
  const at = Date.parse(date);
  if (Number.isNaN(at) || Math.abs(now - at) > 15 * 60_000) throw errors.timeExpired();
  const key = credentials.find((c) => c.accessKeyId === m[1]);
  if (!key) throw errors.invalidAccessKeyId();
  const expected = Buffer.from(sign(key.accessKeySecret, stringToSign(method, headers, resource)));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw errors.signatureDoesNotMatch();
  if (key.securityToken !== undefined && header(headers, "security-token") !== key.securityToken) {
    throw errors.accessDenied("The security token you provided is missing or not valid for this AccessKey.");
  }
  const md5 = header(headers, "content-md5");
  if (md5) {
    const digest = createHash("md5").update(body);
    const hex = digest.copy().digest("hex");
    const ok = md5 === Buffer.from(hex).toString("base64") || md5 === digest.digest("base64");
    if (!ok) throw errors.invalidDigest();
  }
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : (v ?? "");
}
