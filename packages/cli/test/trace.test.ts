import { describe, expect, it } from "vitest";
import { main } from "../src/index.ts";
import { workdir } from "./helpers.ts";
import { lineageScenario } from "./lineage-scenario.ts";
import { capture } from "./transport-scenario.ts";

describe("mailroom run --log-messages and mailroom trace", () => {
  it("on the SQLite queue: every run is logged, and trace prints ancestors and descendants with their outcomes", async () => {
    const { dir, queue } = workdir();
    await lineageScenario(queue, dir);
  });

  it("a log that does not exist is one clear line, exit 2", async () => {
    const { dir } = workdir();
    const c = capture();
    expect(await main(["node", "mailroom", "trace", "some-id", "--log", `${dir}/none.db`], c.io)).toBe(2);
    expect(c.err).toEqual([
      `mailroom: no message log at ${dir}/none.db; turn it on with mailroom run --log-messages PATH`,
    ]);
  });
});
