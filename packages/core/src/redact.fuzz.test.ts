// Property-based tests of `redact` (fast-check): whatever a password or a secret query value
// holds, once a URL carries it (as `new URL` encodes it), the masked text shows none of it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redact } from "./redact.ts";

const runs = { numRuns: 500 };
/** Long enough to be told apart from the rest of the URL by eye and by `includes`. */
const secret = fc.string({ unit: "grapheme", minLength: 8, maxLength: 40 });
const scheme = fc.constantFrom("amqp", "amqps", "mns+http", "https", "redis", "rediss", "azure-queue", "sqs");
/** Names under which credentials travel in query strings and connection strings. */
const secretParam = fc.constantFrom(
  "secret",
  "token",
  "password",
  "key",
  "accessKeySecret",
  "sessionToken",
  "SecurityToken",
  "X-Amz-Security-Token",
  "sig",
  "sas",
  "apiKey",
  "access_key",
  "AccountKey",
  "SharedAccessSignature",
);

describe("redact under random secrets", () => {
  it("masks any password a URL carries, however it is encoded, with text around the URL", () => {
    fc.assert(
      fc.property(
        scheme,
        fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
        secret,
        fc.string(),
        (s, user, password, around) => {
          const url = new URL(`${s}://host.example:5672/vhost?queue=q`);
          url.username = user;
          url.password = password;
          const text = `${around} ${url.toString()} ${around}`;
          const masked = redact(text);
          const encoded = url.password;
          if (!around.includes(encoded)) expect(masked).not.toContain(encoded);
          expect(masked).toContain(`${user}:***@`);
        },
      ),
      runs,
    );
  });

  it("masks the password of a Redis URL without a user name (found by this test: redis://:password@host showed it)", () => {
    expect(redact("could not reach redis://:s3cretPw@127.0.0.1:6379/0?stream=orders")).toBe(
      "could not reach redis://:***@127.0.0.1:6379/0?stream=orders",
    );
  });

  it("masks a connection string's key and signature (Azure Storage), separated by semicolons", () => {
    fc.assert(
      fc.property(
        // Keys and signatures are base64 or URL-encoded: no spaces, no semicolons.
        fc
          .stringMatching(/^[A-Za-z0-9+/=%-]{8,88}$/)
          .filter(
            (v) =>
              !"DefaultEndpointsProtocol=https;AccountName=acct;EndpointSuffix=core.windows.net".includes(v),
          ),
        (value) => {
          const text = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${value};EndpointSuffix=core.windows.net`;
          expect(redact(text)).not.toContain(value);
          expect(redact(`BlobEndpoint=https://a/;SharedAccessSignature=${value}`)).not.toContain(value);
          expect(redact(`AccountKey=${value};AccountName=acct`)).not.toContain(value);
        },
      ),
      runs,
    );
  });

  it("masks any value of a secret-like query parameter", () => {
    fc.assert(
      fc.property(scheme, secretParam, secret, (s, param, value) => {
        const url = new URL(`${s}://host.example/q`);
        url.searchParams.set("queue", "q");
        url.searchParams.set(param, value);
        const encoded = url.searchParams.toString().split(`${param}=`)[1]!;
        expect(redact(url.toString())).not.toContain(encoded);
      }),
      runs,
    );
  });
});
