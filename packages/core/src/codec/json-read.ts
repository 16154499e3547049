import { Buffer, isUtf8 } from "node:buffer";

/** Limits on JSON read from untrusted producers by the CloudEvents and protobuf readers. */
export interface JsonReadLimits {
  /** Largest body, bytes. Default 1 MiB, as the JSON codec's. */
  maxBytes: number;
  /** Deepest nesting. Default 64, as the JSON codec's. */
  maxDepth: number;
}

/** The defaults, the same as `jsonCodec()`'s. */
export const DEFAULT_JSON_LIMITS: JsonReadLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

/** A read value, or why there is none (a reason in the `decode_failed: …` form). */
export type JsonRead = { value: unknown } | { failed: true; reason: string };

const utf8 = new TextDecoder("utf-8", { ignoreBOM: false });

/** A `decode_failed` reason, as every codec reports it. */
export function decodeFailed(reason: string): { failed: true; reason: string } {
  return { failed: true, reason: `decode_failed: ${reason}` };
}

/** Bytes as UTF-8 text within the size limit (a byte order mark is dropped), or the failure. */
export function readUtf8(bytes: Uint8Array, limits: JsonReadLimits = DEFAULT_JSON_LIMITS): JsonRead {
  if (bytes.byteLength > limits.maxBytes) {
    return decodeFailed(`body is ${bytes.byteLength} bytes, over the limit of ${limits.maxBytes}`);
  }
  if (!isUtf8(bytes)) return decodeFailed("body is not valid UTF-8");
  return { value: utf8.decode(bytes) };
}

/**
 * Parse JSON from a producer Mailroom does not control: within the size and nesting limits, and
 * with no `__proto__` key (nor a `constructor` holding a `prototype`) anywhere, so no value read
 * can reach an object's prototype. Never throws.
 */
export function readJson(body: Uint8Array | string, limits: JsonReadLimits = DEFAULT_JSON_LIMITS): JsonRead {
  let text: string;
  if (typeof body === "string") {
    if (body.length * 3 > limits.maxBytes) {
      const size = Buffer.byteLength(body, "utf8");
      if (size > limits.maxBytes)
        return decodeFailed(`body is ${size} bytes, over the limit of ${limits.maxBytes}`);
    }
    if (!body.isWellFormed()) return decodeFailed("body is not valid UTF-8");
    text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  } else {
    const read = readUtf8(body, limits);
    if ("failed" in read) return read;
    text = read.value as string;
  }
  if (deeperThan(text, limits.maxDepth))
    return decodeFailed(`JSON nesting is deeper than ${limits.maxDepth}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return decodeFailed(`body is not JSON (${(error as Error).message.slice(0, 120)})`);
  }
  if (text.includes("__proto__") || text.includes("constructor")) {
    const bad = prototypeKey(value);
    if (bad) return decodeFailed(`body has a forbidden key "${bad}"`);
  }
  return { value };
}

/**
 * True when brackets outside strings nest deeper than `limit` (checked before parsing, so a deep
 * body costs no stack). Nesting d deep takes at least 2d characters and d opening brackets, so
 * almost every real body is answered without the character scan.
 */
export function deeperThan(text: string, limit: number): boolean {
  if (text.length <= 2 * limit || openingBrackets(text, limit) <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** `{` and `[` in the text, counted up to `limit + 1` with the engine's native search. */
function openingBrackets(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf("{"); i !== -1; i = text.indexOf("{", i + 1)) if (++n > limit) return n;
  for (let i = text.indexOf("["); i !== -1; i = text.indexOf("[", i + 1)) if (++n > limit) return n;
  return n;
}

/**
 * The key of a parsed body that could reach a prototype, walking without recursion: `__proto__`
 * wherever it is (named first when the body has both), else a `constructor` holding a `prototype`.
 */
export function prototypeKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  let constructorPrototype = false;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Object.hasOwn(v, "__proto__")) return "__proto__";
    const record = v as Record<string, unknown>;
    const ctor = record.constructor;
    if (
      Object.hasOwn(v, "constructor") &&
      typeof ctor === "object" &&
      ctor !== null &&
      Object.hasOwn(ctor, "prototype")
    ) {
      constructorPrototype = true;
    }
    for (const key of Object.keys(v)) stack.push(record[key]);
  }
  return constructorPrototype ? "constructor.prototype" : undefined;
}
