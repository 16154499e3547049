import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { bin, buildCli, cli, examples, fixtures, jsonLines, started, workdir } from "./helpers.ts";

beforeAll(buildCli);

const handlers = join(examples, "handlers");
const dataAll = join(examples, "data-all.json");

/** `count` fraud_check messages dead-lettered by examples/handlers on the default queue. */
async function deadLetters(dir: string, queue: string, count: number): Promise<void> {
  const bad = JSON.stringify({ name: "fraud_check", data: { orderId: "o", score: 0.99 } });
  writeFileSync(join(dir, "bad.ndjson"), `${bad}\n`.repeat(count));
  await cli(["send", "-", "@bad.ndjson", "--transport", queue], { cwd: dir });
  await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty"], { cwd: dir });
  expect(await depth(dir, queue)).toMatchObject({ deadLettered: count });
}

/**
 * Run the CLI with a terminal (a pseudo-terminal from util-linux `script`) and type `answer`
 * once it asks; resolves with everything the terminal showed.
 */
function onTerminal(
  args: string[],
  answer: string,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], { cwd });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let output = "";
  let answered = false;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
    if (!answered && output.includes("[y/N]")) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** `stats --json` of the default queue. */
async function depth(dir: string, queue: string) {
  const r = await cli(["stats", "--transport", queue, "--json"], { cwd: dir });
  expect(r.code).toBe(0);
  return jsonLines(r.stdout).find((q) => q.queue === "default");
}

describe("mailroom send + run on the SQLite queue", () => {
  it("drains examples/data-all.json: acks (with follow-ups), a retry that then succeeds, a dead-letter", async () => {
    const { dir, queue } = workdir();
    const sent = await cli(["send", "-", `@${dataAll}`, "--transport", queue], { cwd: dir });
    expect(sent.code).toBe(0);
    const ids = sent.stdout.trim().split("\n");
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(sent.stderr).toContain("sent 6 messages to sqlite:");
    expect(await depth(dir, queue)).toMatchObject({ ready: 6, delayed: 0, deadLettered: 0 });

    const run = await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty"], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    // 6 sent + 2 invoice_requested follow-ups; payment_captured fails once then acks on attempt 2.
    expect(run.stdout).toMatch(/^done in [\d.]+m?s: 7 acked, 1 retried, 1 dead-lettered\n$/);
    expect(run.stderr).toMatch(
      /↻ payment_captured \S+ retry in \d+ms \(attempt 1\/3\): Error: payment gateway/,
    );
    expect(run.stderr).toMatch(/✓ payment_captured \S+ ack on attempt 2/);
    expect(run.stderr).toMatch(/✗ fraud_check \S+ dead-letter: permanent_error: fraud score 0.97/);
    expect(run.stderr.match(/✓ invoice_requested/g)).toHaveLength(2);
    expect(await depth(dir, queue)).toMatchObject({ ready: 0, delayed: 0, inFlight: 0, deadLettered: 1 });
  });

  it("run --json reports every settled message and the summary as JSON lines", async () => {
    const { dir, queue } = workdir();
    await cli(["send", "-", `@${dataAll}`, "--transport", queue], { cwd: dir });
    const run = await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty", "--json"], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const settled = lines.filter((l) => l.type === "settled");
    expect(settled).toHaveLength(9);
    expect(lines.at(-1)).toMatchObject({ type: "summary", acked: 7, retried: 1, deadLettered: 1 });
    expect(
      settled.find((l) => l.name === "fraud_check" && (l.outcome as { kind: string }).kind !== "ack"),
    ).toMatchObject({ outcome: { kind: "deadLetter", reason: expect.stringMatching(/^permanent_error/) } });
  });

  it("dlq list shows the reason, redrive moves it back, and a fixed handler then acks it", async () => {
    const { dir, queue } = workdir();
    await cli(["send", "-", `@${dataAll}`, "--transport", queue], { cwd: dir });
    await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty"], { cwd: dir });

    const stats = await cli(["stats", "--transport", queue], { cwd: dir });
    expect(stats.stdout).toMatch(
      /queue\s+ready\s+delayed\s+in flight\s+dead-lettered\ndefault\s+0\s+0\s+0\s+1$/m,
    );

    const list = await cli(["dlq", "list", "--transport", queue], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/fraud_check\s+1\s+\S+Z\s+permanent_error: fraud score 0.97 is over 0.9/);
    const listJson = jsonLines(
      (await cli(["dlq", "list", "--transport", queue, "--json"], { cwd: dir })).stdout,
    );
    expect(listJson).toHaveLength(1);
    expect(listJson[0]).toMatchObject({ name: "fraud_check", attempts: 1, queue: "default" });
    expect(JSON.parse(listJson[0]!.body as string)).toMatchObject({ data: { score: 0.97 } });

    const redrive = await cli(["dlq", "redrive", "--transport", queue], { cwd: dir });
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toContain('moved 1 dead letter back to queue "default"');
    expect(redrive.stderr).toContain("redrive: 1/1");
    expect(await depth(dir, queue)).toMatchObject({ ready: 1, deadLettered: 0 });

    const rerun = await cli(
      ["run", "--handlers", join(fixtures, "fixed-handlers"), "--transport", queue, "--until-empty"],
      { cwd: dir },
    );
    expect(rerun.stdout).toContain("1 acked, 0 retried, 0 dead-lettered");
    expect(await depth(dir, queue)).toMatchObject({ ready: 0, delayed: 0, deadLettered: 0 });
  });

  it("dlq redrive --limit moves only that many, oldest first", async () => {
    const { dir, queue } = workdir();
    const bad = JSON.stringify({ name: "fraud_check", data: { orderId: "o", score: 0.99 } });
    writeFileSync(join(dir, "bad.ndjson"), `${bad}\n${bad}\n${bad}\n`);
    await cli(["send", "-", "@bad.ndjson", "--transport", queue], { cwd: dir });
    await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty"], { cwd: dir });
    expect(await depth(dir, queue)).toMatchObject({ deadLettered: 3 });
    const r = await cli(["dlq", "redrive", "--limit", "2", "--transport", queue], { cwd: dir });
    expect(r.stdout).toContain("moved 2 dead letters");
    expect(await depth(dir, queue)).toMatchObject({ ready: 2, deadLettered: 1 });
  });

  it("dlq purge refuses without --yes off a terminal (exit 2, one line); --limit 1 --yes deletes one, --yes the rest, never the live queue", async () => {
    const { dir, queue } = workdir();
    await deadLetters(dir, queue, 3);
    await cli(["send", "fraud_check", '{"orderId":"live","score":0.1}', "--transport", queue], { cwd: dir });
    expect(await depth(dir, queue)).toMatchObject({ ready: 1, deadLettered: 3 });

    const refused = await cli(["dlq", "purge", "--transport", queue], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      "mailroom: dlq purge deletes dead letters for good: stdin is not a terminal to confirm on, so pass --yes\n",
    );
    expect(await depth(dir, queue)).toMatchObject({ ready: 1, deadLettered: 3 });

    const one = await cli(["dlq", "purge", "--limit", "1", "--yes", "--transport", queue], { cwd: dir });
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^deleted 1 dead letter of queue "default" for good \(sqlite:/);
    expect(one.stderr).toContain("purge: 1/1");
    expect(await depth(dir, queue)).toMatchObject({ ready: 1, deadLettered: 2 });

    const rest = await cli(["dlq", "purge", "--yes", "--transport", queue], { cwd: dir });
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(/^deleted 2 dead letters of queue "default" for good/);
    expect(await depth(dir, queue)).toMatchObject({ ready: 1, deadLettered: 0 });

    const list = await cli(["dlq", "list", "--transport", queue], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe("");
    expect(list.stderr).toContain('no dead letters in queue "default"');
  });

  it.runIf(existsSync("/usr/bin/script"))(
    "dlq purge on a terminal asks with the count and the queue: n deletes nothing, y deletes",
    async () => {
      const { dir, queue } = workdir();
      await deadLetters(dir, queue, 2);
      const no = await onTerminal(["dlq", "purge", "--transport", queue], "n", dir);
      expect(no.code).toBe(0);
      expect(no.output).toContain('delete 2 dead letters of queue "default" for good? [y/N]');
      expect(no.output).toContain("nothing deleted");
      expect(await depth(dir, queue)).toMatchObject({ deadLettered: 2 });
      const yes = await onTerminal(["dlq", "purge", "--limit", "1", "--transport", queue], "y", dir);
      expect(yes.code).toBe(0);
      expect(yes.output).toContain('delete 1 dead letter of queue "default" for good? [y/N]');
      expect(yes.output).toContain('deleted 1 dead letter of queue "default" for good');
      expect(await depth(dir, queue)).toMatchObject({ deadLettered: 1 });
    },
  );

  it("send --delay keeps the message delayed: stats shows delayed 1, run handles it only once due", async () => {
    const { dir, queue } = workdir();
    const sentAt = Date.now();
    const sent = await cli(
      ["send", "fraud_check", '{"orderId":"o-9","score":0.1}', "--delay", "2s", "--transport", queue],
      { cwd: dir },
    );
    expect(sent.code).toBe(0);
    expect(sent.stderr).toContain("due in 2.0s");
    expect(await depth(dir, queue)).toMatchObject({ ready: 0, delayed: 1 });
    const run = await cli(["run", "--handlers", handlers, "--transport", queue, "--until-empty", "--json"], {
      cwd: dir,
    });
    // Handled early, the drained worker would have exited well before the due time.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2_000);
    const lines = jsonLines(run.stdout);
    expect(lines[0]).toMatchObject({
      type: "settled",
      name: "fraud_check",
      outcome: { kind: "ack", attempt: 1 },
    });
    expect(lines[1]).toMatchObject({ type: "summary", acked: 1 });
  });

  it("send --at schedules for a time; a name with data from @file sends one message", async () => {
    const { dir, queue } = workdir();
    writeFileSync(join(dir, "check.json"), '{"orderId":"o-9","score":0.1}');
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const r = await cli(["send", "fraud_check", "@check.json", "--at", at, "--transport", queue, "--json"], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([{ id: expect.any(String), name: "fraud_check" }]);
    expect(r.stderr).toContain(`due at ${at}`);
    expect(await depth(dir, queue)).toMatchObject({ delayed: 1 });
  });

  it("run stops on SIGTERM and prints its summary, exit 0", async () => {
    const { dir, queue } = workdir();
    const worker = started(["run", "--handlers", handlers, "--transport", queue], { cwd: dir });
    await worker.stderrIncludes("until SIGTERM");
    worker.child.kill("SIGTERM");
    const r = await worker.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^done in .*: 0 acked, 0 retried, 0 dead-lettered\n$/);
  });

  it("MAILROOM_TRANSPORT sets the default transport", async () => {
    const { dir, queue } = workdir();
    const env = { MAILROOM_TRANSPORT: queue };
    await cli(["send", "invoice_requested", '{"orderId":"o","customer":"c","amount":1}'], { cwd: dir, env });
    expect(await depth(dir, queue)).toMatchObject({ ready: 1 });
  });

  it("without --transport, uses ./.mailroom/queue.db in the working directory", async () => {
    const { dir } = workdir();
    await cli(["send", "invoice_requested", "{}"], { cwd: dir });
    expect(await depth(dir, `sqlite:${join(dir, ".mailroom/queue.db")}`)).toMatchObject({ ready: 1 });
  });
});

describe("queue commands: clear errors", () => {
  it("unknown transport scheme, without the password", async () => {
    const { dir } = workdir();
    const r = await cli(["stats", "--transport", "kafka://u:hunter2@localhost/x"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown transport scheme "kafka:"');
    expect(r.stderr).not.toContain("hunter2");
  });

  it("invalid duration and date", async () => {
    const { dir, queue } = workdir();
    const d = await cli(["send", "a", "{}", "--delay", "soon", "--transport", queue], { cwd: dir });
    expect(d.code).toBe(2);
    expect(d.stderr.trim()).toBe('mailroom: "soon" is not a duration; use e.g. 500ms, 30s, 5m, 2h or 1d');
    const a = await cli(["send", "a", "{}", "--at", "tomorrow", "--transport", queue], { cwd: dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--at "tomorrow" is not a date');
  });

  it("bad inline JSON, bad message name, bad entry of a messages file", async () => {
    const { dir, queue } = workdir();
    const j = await cli(["send", "a", "{nope}", "--transport", queue], { cwd: dir });
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(/^mailroom: the message argument:1:2: not valid JSON/);
    const n = await cli(["send", '{"id":1}', "{}", "--transport", queue], { cwd: dir });
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('"{"id":1}" is not a message name');
    writeFileSync(join(dir, "m.json"), JSON.stringify([{ name: "a", data: 1 }, { data: 2 }]));
    const e = await cli(["send", "-", "@m.json", "--transport", queue], { cwd: dir });
    expect(e.stderr).toContain('m.json, entry #2: expected a message { "name": "…", "data": … }');
    expect(await depth(dir, queue)).toMatchObject({ ready: 0 });
  });

  it("non-numeric --concurrency is a usage error", async () => {
    const { dir, queue } = workdir();
    const r = await cli(["run", "--handlers", handlers, "--transport", queue, "--concurrency", "many"], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected a whole number of 1 or more");
  });
});
