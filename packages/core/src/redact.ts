/**
 * Names of query and connection-string parameters whose values are credentials: anything with
 * secret, token, password, key, sig(nature), sas or credential in its name (`sessionToken`,
 * `X-Amz-Security-Token`, `AccountKey`, `SharedAccessSignature`, `apiKey`, `sig`, …).
 */
const CREDENTIAL_PARAM =
  /((?:^|[?&;\s])(?:[\w.-]*?(?:secret|token|password|passwd|key|sig|sas|credential)[\w.-]*)=)[^&;\s]*/gi;

/**
 * Every URL in `text` with its password masked (also with no user name, as in
 * `redis://:password@host`), and the values of credential-like query and connection-string
 * parameters, safe for logs.
 */
export function redact(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@/\s]*@/g, "$1***@").replace(CREDENTIAL_PARAM, "$1***");
}

/** `value` with secrets masked wherever a string in it (one level deep) holds a URL. */
export function redactFields<T>(value: T): T {
  if (typeof value === "string") return redact(value) as T;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string" && v.includes("//")) {
      out ??= { ...(value as Record<string, unknown>) };
      out[k] = redact(v);
    }
  }
  return (out ?? value) as T;
}
