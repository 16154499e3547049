import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/memory-retention.ts", import.meta.url));

interface Retention {
  messages: number;
  baselineBytes: number;
  afterBytes: number;
  retainedBytesPerMessage: number;
}

/** Run the fixture in its own process, so the heap holds nothing of the test runner. */
function measure(count: number): Promise<Retention> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--no-warnings", fixture, String(count)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out) as Retention);
      else reject(new Error(`memory-retention fixture exited with ${code}`));
    });
  });
}

describe("memory transport heap", () => {
  it("does not grow with acknowledged messages: 50,000 through it leave under 40 bytes each after GC", async () => {
    const r = await measure(50_000);
    expect(r.messages).toBe(50_000);
    // Was ~1,100 bytes per message: every receive left a heap entry holding the message body.
    expect(r.retainedBytesPerMessage).toBeLessThan(40);
  });
});
