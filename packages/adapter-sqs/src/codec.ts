import { type Codec, type JsonCodecOptions, jsonCodec } from "@mailroom/core";

/**
 * Core's JSON codec with the same limits and the same failure reasons, minus its cost on small
 * bodies: the character-by-character nesting scan only runs when the body has more opening
 * brackets than `maxDepth` (a body with fewer cannot nest deeper). That scan was two thirds of
 * the decode time of a small message. Proposed for core's `jsonCodec` itself; until then it is
 * the default codec of this adapter.
 */
export function sqsJsonCodec(options: JsonCodecOptions = {}): Codec {
  const maxDepth = options.maxDepth ?? 64;
  const strict = jsonCodec(options);
  const shallow = jsonCodec({ ...options, maxDepth: Number.MAX_SAFE_INTEGER });
  return {
    name: strict.name,
    encode: strict.encode,
    decode(bytes, meta) {
      // A body no longer than maxDepth cannot nest deeper: core skips its scan for those itself.
      if (bytes.byteLength <= maxDepth) return strict.decode(bytes, meta);
      return openingBrackets(bytes, maxDepth) > maxDepth
        ? strict.decode(bytes, meta)
        : shallow.decode(bytes, meta);
    },
  };
}

/** V8's own TypedArray search: Buffer's `indexOf` crosses into C++ on every call. */
const indexOfByte = Uint8Array.prototype.indexOf;

/** `{` and `[` bytes in the body, counted up to `limit + 1` (UTF-8 never hides ASCII inside other characters). */
function openingBrackets(bytes: Uint8Array, limit: number): number {
  let n = 0;
  for (let i = indexOfByte.call(bytes, 0x7b); i !== -1; i = indexOfByte.call(bytes, 0x7b, i + 1)) {
    if (++n > limit) return n;
  }
  for (let i = indexOfByte.call(bytes, 0x5b); i !== -1; i = indexOfByte.call(bytes, 0x5b, i + 1)) {
    if (++n > limit) return n;
  }
  return n;
}
