/** Every URL in `text` with its password (and any `secret` / `token` query values) masked, safe for logs. */
export function redact(text: string): string {
  return text
    .replace(/(\/\/[^:/@\s]+:)[^@/\s]*@/g, "$1***@")
    .replace(/([?&](?:secret|token|password|key|accessKeySecret)[^=&\s]*=)[^&\s]*/gi, "$1***");
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
