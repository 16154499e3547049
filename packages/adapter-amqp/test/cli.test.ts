import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, workdir } from "../../cli/test/helpers.ts";
import { exampleScenario } from "../../cli/test/transport-scenario.ts";
import { AMQP_URL, cleanup, sharedBrokerLock, transport, uniqueName } from "./helpers.ts";

sharedBrokerLock({ beforeAll, afterAll });
afterAll(() => cleanup());

describe("the mailroom CLI on an amqp:// transport", () => {
  it("send, run --until-empty, stats, dlq list, dlq purge and dlq redrive work end to end; credentials are never printed", async () => {
    const queue = uniqueName("cli");
    transport(queue); // registered for cleanup
    const printed = await exampleScenario(`${AMQP_URL}?queue=${queue}`, { statsShows: queue });
    expect(printed).not.toContain("guest:guest");
  }, 60_000);

  it("stats, dlq list, dlq redrive and dlq purge on a queue that does not exist: one line naming it, exit 3", async () => {
    await buildCli();
    const { dir } = workdir();
    const queue = uniqueName("cli-missing");
    const url = `${AMQP_URL}?queue=${queue}`;
    const commands = [
      { args: ["stats"], names: queue },
      { args: ["dlq", "list"], names: `${queue}.dlq` },
      { args: ["dlq", "redrive"], names: `${queue}.dlq` },
      { args: ["dlq", "purge", "--yes"], names: `${queue}.dlq` },
    ];
    for (const { args, names } of commands) {
      const r = await cli([...args, "--transport", url], { cwd: dir, fromSources: true });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(3);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^mailroom: .*queue "${names}" does not exist on RabbitMQ at amqp://`),
      );
      expect(r.stderr).not.toContain("guest:guest");
    }
  }, 60_000);
});
