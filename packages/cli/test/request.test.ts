// `mailroom request` against a `mailroom run` worker on the local SQLite queue.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, fixtures, started, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);

describe("mailroom request", () => {
  it("prints the handler's reply as JSON; a request nobody answers ends with one line and exit 3", async () => {
    const { dir, queue } = workdir();
    const worker = started(["run", "--handlers", join(fixtures, "rpc-handlers"), "--transport", queue], {
      cwd: dir,
    });
    await worker.stderrIncludes("mailroom run: 1 handler (quote_price)");
    const r = await cli(["request", "quote_price", '{"sku":"A1"}', "--transport", queue], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sku: "A1", price: 42 });
    const silent = await cli(["request", "nobody_home", "{}", "--timeout", "1s", "--transport", queue], {
      cwd: dir,
    });
    expect(silent.code).toBe(3);
    expect(silent.stderr.trim().split("\n")).toHaveLength(1);
    expect(silent.stderr).toMatch(/^mailroom: no reply to "nobody_home" within 1000 ms/);
    worker.child.kill("SIGTERM");
    expect((await worker.done).code).toBe(0);
  }, 60_000);
});
