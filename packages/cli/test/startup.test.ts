import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCli, cli, fixtures, jsonLines, started, workdir } from "./helpers.ts";

beforeAll(buildCli, 120_000);

/** Handlers whose file registers the `wrapped:` test transport (see its _transport.ts). */
const handlers = join(fixtures, "wrapped-transport");
const SECRET = "Hunter2Secret";

/** A `wrapped:` URL over the SQLite queue `db`, with a password that must never be printed. */
function wrapped(db: string, query: string): string {
  return `wrapped://ops:${SECRET}@broker.example/?db=${db}&${query}`;
}

/** Queue one order_created message on the SQLite queue of `dir`. */
async function queueOne(dir: string, db: string): Promise<void> {
  const sent = await cli(["send", "order_created", '{"id":"o-1"}', "--transport", `sqlite:${db}`], {
    cwd: dir,
  });
  expect(sent.code).toBe(0);
}

async function ready(dir: string, db: string): Promise<unknown> {
  const r = await cli(["stats", "--transport", `sqlite:${db}`, "--json"], { cwd: dir });
  return jsonLines(r.stdout)[0]?.ready;
}

describe("mailroom run: start-up checks", () => {
  it("a transport that refuses at start-up (ConfigError) ends run with one line and exit 3: no banner, no stack, no password, no message taken", async () => {
    const { dir, db } = workdir();
    await queueOne(dir, db);
    const r = await cli(["run", "--handlers", handlers, "--transport", wrapped(db, "connect=refused")], {
      cwd: dir,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^mailroom: the broker at wrapped:\/\/ops:\*\*\*@broker\.example\/\S+ refused the login of user "ops"; check the user name and password\n$/,
    );
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain(SECRET);
    expect(await ready(dir, db)).toBe(1);
  });

  it("a transport that stays unreachable: one human line per wait on a terminal, then one line and exit 3 after --connect-timeout", async () => {
    const { dir, db } = workdir();
    const started = Date.now();
    const r = await cli(
      [
        "run",
        "--handlers",
        handlers,
        "--transport",
        wrapped(db, "connect=unreachable"),
        "--connect-timeout",
        "1s",
      ],
      { cwd: dir, env: { MAILROOM_PRETTY: "1" } },
    );
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const lines = r.stderr.trimEnd().split("\n");
    const waits = lines.slice(0, -1);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    for (const line of waits) {
      expect(line).toMatch(
        /^… waiting for wrapped:\/\/ops:\*\*\*@broker\.example\/\S+: TransportError: connect ECONNREFUSED broker\.example \(wrapped:\/\/ops:\*\*\*@\S+\) \(retrying for up to \d+(ms|\.\ds)\)$/,
      );
    }
    expect(lines.at(-1)).toMatch(
      /^mailroom: wrapped:\/\/ops:\*\*\*@broker\.example\/\S+ was not reachable within 1\.0s; wait longer with --connect-timeout or MAILROOM_CONNECT_TIMEOUT\. Last error: TransportError: connect ECONNREFUSED broker\.example/,
    );
    expect(r.stderr).not.toContain(SECRET);
    expect(r.stderr).not.toContain("mailroom run:");
    expect(r.stdout).toBe("");
  });

  it("MAILROOM_CONNECT_TIMEOUT sets the limit; 0 fails at the first refusal without waiting", async () => {
    const { dir, db } = workdir();
    const r = await cli(["run", "--handlers", handlers, "--transport", wrapped(db, "connect=unreachable")], {
      cwd: dir,
      env: { MAILROOM_CONNECT_TIMEOUT: "0", MAILROOM_PRETTY: "1" },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^mailroom: wrapped:\/\/ops:\*\*\*@\S+ was not reachable \(--connect-timeout 0: no waiting\); wait longer with --connect-timeout or MAILROOM_CONNECT_TIMEOUT\. Last error: TransportError: connect ECONNREFUSED[^\n]*\n$/,
    );
  });

  it("an invalid --connect-timeout is a usage error naming the option", async () => {
    const { dir, db } = workdir();
    const r = await cli(
      ["run", "--handlers", handlers, "--transport", wrapped(db, ""), "--connect-timeout", "soon"],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'mailroom: --connect-timeout: "soon" is not a duration; use e.g. 500ms, 30s, 5m, 2h or 1d\n',
    );
  });

  it("a transport that answers after two refused tries: the waiting lines come first, the banner once connected, then the queue drains", async () => {
    const { dir, db } = workdir();
    await queueOne(dir, db);
    const r = await cli(
      ["run", "--handlers", handlers, "--transport", wrapped(db, "connectFailures=2"), "--until-empty"],
      { cwd: dir, env: { MAILROOM_PRETTY: "1" } },
    );
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^… waiting for wrapped:\/\/ops:\*\*\*@/);
    expect(lines[1]).toMatch(/^… waiting for wrapped:\/\/ops:\*\*\*@/);
    expect(lines[2]).toMatch(
      /^mailroom run: 1 handler \(order_created\) on wrapped:\/\/ops:\*\*\*@broker\.example\/\S+, queue "default", until the queue is empty$/,
    );
    expect(r.stderr).toMatch(/^✓ order_created \S+ ack \d+ms$/m);
    expect(r.stdout).toMatch(/^done in \S+: 1 acked, 0 retried, 0 dead-lettered\n$/);
  });

  it("SIGTERM while waiting for the transport stops at once: summary, exit 0, no banner", async () => {
    const { dir, db } = workdir();
    const run = started(["run", "--handlers", handlers, "--transport", wrapped(db, "connect=unreachable")], {
      cwd: dir,
      env: { MAILROOM_PRETTY: "1" },
    });
    await run.stderrIncludes("… waiting for");
    const stoppedAt = Date.now();
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(r.stdout).toMatch(/^done in \S+: 0 acked, 0 retried, 0 dead-lettered\n$/);
    expect(r.stderr).not.toContain("mailroom run:");
  });
});
