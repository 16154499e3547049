import { afterAll, afterEach } from "vitest";

/**
 * An unhandled promise rejection anywhere is a bug: fail the test during which it happened (or
 * the file, when it comes after the last test), with what was rejected.
 */
const rejections: unknown[] = [];
process.on("unhandledRejection", (reason) => {
  rejections.push(reason);
});

function check(): void {
  if (rejections.length === 0) return;
  const seen = rejections.splice(0).map((r) => (r instanceof Error ? (r.stack ?? r.message) : String(r)));
  throw new Error(`unhandled promise rejection(s):\n${seen.join("\n---\n")}`);
}

afterEach(check);
afterAll(check);
