import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, fixtures, jsonLines, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);

/** Handlers whose file registers the `wrapped:` test transport (see its _transport.ts). */
const handlers = join(fixtures, "wrapped-transport");
const SECRET = "Hunter2Secret";

/**
 * Queue one order_created message, then run until empty on a transport whose first two
 * receives fail and whose first settle fails in the background; the handler logs a warning.
 */
async function runWithWarnings(env: NodeJS.ProcessEnv, extra: string[] = []) {
  const { dir, db } = workdir();
  const sent = await cli(["send", "order_created", '{"id":"o-1"}', "--transport", `sqlite:${db}`], {
    cwd: dir,
  });
  expect(sent.code).toBe(0);
  const url = `wrapped://ops:${SECRET}@broker.example/?db=${db}&receiveFailures=2&backgroundError=1`;
  const r = await cli(["run", "--handlers", handlers, "--transport", url, "--until-empty", ...extra], {
    cwd: dir,
    env,
  });
  expect(r.code).toBe(0);
  return r;
}

describe("mailroom run: what the worker logs", () => {
  it("on a terminal, warnings print as human lines like the outcome lines: one each, no JSON", async () => {
    const r = await runWithWarnings({ MAILROOM_PRETTY: "1" });
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("{"))).toEqual([]);
    // The test transport's errors carry its URL unmasked; every human line masks it.
    expect(r.stderr).not.toContain(SECRET);
    const url = "wrapped:\\/\\/ops:\\*\\*\\*@broker\\.example\\/\\S+";
    const first = new RegExp(
      `^! receive failed; backing off: TransportError: the broker at ${url} closed the channel \\(1st in a row\\)$`,
    );
    expect(lines.filter((l) => first.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^! receive failed; backing off: .* \(2nd in a row\)$/.test(l))).toHaveLength(
      1,
    );
    expect(
      lines.filter((l) =>
        /^! order_created \S+ payment gateway is slow \(order=o-1, gateway="slow pay"\)$/.test(l),
      ),
    ).toHaveLength(1);
    expect(
      lines.filter((l) =>
        /^! could not settle a message: TransportError: a queued ack to wrapped:\/\/ops:\*\*\*@\S+ failed; it will be redelivered$/.test(
          l,
        ),
      ),
    ).toHaveLength(1);
    expect(lines.filter((l) => l.includes("queued ack"))).toHaveLength(1);
    expect(lines).toContainEqual(expect.stringMatching(/^✓ order_created \S+ ack \d+ms$/));
    // At the CLI's default level (warn), the handler's info line is not shown.
    expect(r.stderr).not.toContain("order received");
  });

  it("MAILROOM_LOG_LEVEL=info shows a handler's ctx.logger.info as a human line on a terminal", async () => {
    const r = await runWithWarnings({ MAILROOM_PRETTY: "1", MAILROOM_LOG_LEVEL: "info" });
    expect(r.stderr).toMatch(/^· order_created \S+ order received \(order=o-1\)$/m);
  });

  it("when stderr is not a terminal, warnings stay pino JSON lines and outcome lines stay human", async () => {
    const r = await runWithWarnings({});
    const logged = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.msg === "receive failed; backing off").map((l) => l.consecutive)).toEqual([
      1, 2,
    ]);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: "payment gateway is slow",
        messageName: "order_created",
        order: "o-1",
      }),
    );
    expect(r.stderr).toMatch(/^✓ order_created \S+ ack \d+ms$/m);
  });

  it("--json keeps warnings as pino JSON on a terminal too; a settle error without a message has no name", async () => {
    const r = await runWithWarnings({ MAILROOM_PRETTY: "1" }, ["--json"]);
    expect(r.stderr).toMatch(/^\{.*"msg":"receive failed; backing off"/m);
    expect(r.stderr).not.toMatch(/^! /m);
    const out = jsonLines(r.stdout);
    expect(out).toContainEqual({
      type: "settleError",
      error: expect.stringMatching(/^TransportError: a queued ack/),
    });
    expect(out.at(-1)).toMatchObject({ type: "summary", acked: 1 });
  });
});
