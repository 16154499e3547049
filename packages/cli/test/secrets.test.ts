// No credential ever shows: every CLI command, on every transport, with a recognizable secret in
// the transport URL, an option or the environment — working and failing connections — and
// everything captured is scanned: stdout, stderr, log lines (debug level), --json output,
// /metrics and /healthz, and the errors the API throws (inspected with their causes).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect, promisify } from "node:util";
import { openTransport, Worker } from "@mailroom/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, sharedBrokerLock } from "../../adapter-amqp/test/helpers.ts";
import { type Azurite, startAzurite } from "../../adapter-azure/test/azurite.ts";
import { type MnsTestServer, startMnsServer } from "../../adapter-mns/src/testing/index.ts";
import { deleteKeys, plainClient } from "../../adapter-redis/test/helpers.ts";
import { type Emulator, startEmulator } from "../../adapter-sqs/test/helpers.ts";
import { buildCli, type CliResult, cli, examples, started, workdir } from "./helpers.ts";
import { type Connection, connections, handlersApp, recordingLogger } from "./secrets-targets.ts";

/** Recognizable, and the same in any encoding a URL or a header could give it. */
const SECRET = `MrSecret${randomBytes(8).toString("hex")}`;
/** Azure account keys are base64: this one is the secret's, and is scanned for too. */
const AZURE_KEY = Buffer.from(`${SECRET}-azure-account-key`).toString("base64");
const AZURE_ACCOUNT = "mrsecrets";
const rabbitUser = `mr-secrets-${process.pid}`;
const ctl = (...args: string[]) => promisify(execFile)("rabbitmqctl", ["-q", ...args], { timeout: 60_000 });

let sqs: Emulator;
let mns: MnsTestServer;
let azurite: Azurite;
const redis = plainClient();
let targets: Connection[] = [];
const sqliteDir = mkdtempSync(join(tmpdir(), "mailroom-secrets-"));

beforeAll(buildCli, 120_000);
sharedBrokerLock({ beforeAll, afterAll });
beforeAll(async () => {
  // A user whose password is the secret, on a vhost of its own (deleted with everything in it).
  await ctl("add_vhost", rabbitUser);
  await ctl("add_user", rabbitUser, SECRET);
  await ctl("set_permissions", "-p", rabbitUser, rabbitUser, ".*", ".*", ".*");
  // A Redis user whose password is the secret.
  await redis.connect();
  await redis.call("ACL", "SETUSER", rabbitUser, "on", `>${SECRET}`, "~*", "&*", "+@all");
  // Azurite knows the accounts AZURITE_ACCOUNTS names, read when it starts.
  process.env.AZURITE_ACCOUNTS = `${AZURE_ACCOUNT}:${AZURE_KEY}`;
  try {
    azurite = await startAzurite();
  } finally {
    delete process.env.AZURITE_ACCOUNTS;
  }
  sqs = await startEmulator();
  mns = await startMnsServer({ credentials: [{ accessKeyId: "mr-secrets-key", accessKeySecret: SECRET }] });
  targets = connections({
    secret: SECRET,
    rabbitUser,
    sqs,
    mns,
    azurite,
    azureAccount: AZURE_ACCOUNT,
    azureKey: AZURE_KEY,
    closed: await closedPort(),
    dir: sqliteDir,
  });
}, 120_000);
afterAll(async () => {
  await ctl("delete_user", rabbitUser).catch(() => {});
  await ctl("delete_vhost", rabbitUser).catch(() => {});
  await redis.call("ACL", "DELUSER", rabbitUser).catch(() => {});
  await deleteKeys(redis, `mr-secrets-${process.pid}`).catch(() => {});
  redis.disconnect();
  await azurite?.stop();
  rmSync(sqliteDir, { recursive: true, force: true });
  await sqs?.stop();
  await mns?.close();
});

/** Fail with where the secret showed, and a little of what was around it. */
function expectNoSecret(what: string, text: string): void {
  for (const secret of [SECRET, AZURE_KEY, encodeURIComponent(AZURE_KEY)]) {
    const at = text.indexOf(secret);
    if (at >= 0) expect.fail(`${what} shows the secret: …${text.slice(Math.max(0, at - 120), at + 60)}…`);
  }
}

function expectClean(what: string, r: CliResult): void {
  expectNoSecret(`${what}: stdout`, r.stdout);
  expectNoSecret(`${what}: stderr`, r.stderr);
}

/** Every command the CLI lists, from its own help. */
async function listedCommands(cwd: string): Promise<string[]> {
  const top = await cli(["--help"], { cwd });
  const dlq = await cli(["dlq", "--help"], { cwd });
  const names = (help: string) =>
    [...help.split("Commands:")[1]!.matchAll(/^ {2}([a-z-]+)/gm)]
      .map((m) => m[1]!)
      .filter((n) => n !== "help");
  return [...names(top.stdout).filter((n) => n !== "dlq"), ...names(dlq.stdout).map((n) => `dlq ${n}`)];
}

const TRANSPORTS = ["rabbitmq", "sqs", "mns", "redis", "azure", "sqlite"];
const exercised = new Set<string>();
const handlers = join(examples, "handlers");
const debug = { MAILROOM_LOG_LEVEL: "debug" };

describe("secrets never show: every command", () => {
  for (const name of TRANSPORTS) {
    it(`every command on ${name}, with the secret in its URL or environment, prints it nowhere (output, logs, --json, /metrics, /healthz)`, async () => {
      const target = targets.find((t) => t.name === name)!;
      const { dir } = workdir();
      const env = { ...debug, ...target.working.env };
      const url = target.working.url;
      const run = (what: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
        cli(args, { cwd: dir, env: { ...env, ...extra }, fromSources: true }).then((r) => {
          exercised.add(what);
          expectClean(`${name} ${args.join(" ")}`, r);
          expect(r.code, `${what} on ${name}: ${r.stderr}`).not.toBe(null);
          return r;
        });
      const sent = await run("send", [
        "send",
        "-",
        `@${examples}/data-all.json`,
        "--transport",
        url,
        "--json",
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      const log = join(dir, "messages.db");
      const drained = await run("run", [
        "run",
        "--handlers",
        handlers,
        "--transport",
        url,
        "--until-empty",
        "--json",
        "--log-messages",
        log,
      ]);
      expect(drained.stdout).toContain('"type":"summary"');
      const logged = /"id":"([^"]+)"/.exec(drained.stdout)?.[1];
      expect(logged, drained.stdout).toBeDefined();
      const traced = await run("trace", ["trace", logged!, "--log", log]);
      expect(traced.code, traced.stderr).toBe(0);
      await run("trace", ["trace", logged!, "--log", log, "--json"]);
      const bridged = join(dir, "bridged.db");
      // Independent of each other: at once, to keep the test short.
      const [stats] = await Promise.all([
        run("stats", ["stats", "--transport", url]),
        run("stats", ["stats", "--transport", url, "--json"]),
        run("dlq list", ["dlq", "list", "--transport", url]),
        run("dlq list", ["dlq", "list", "--transport", url, "--json"]),
        run("request", ["request", "order_created", '{"id":"o-1"}', "--timeout", "1s", "--transport", url]),
        run("asyncapi", ["asyncapi", "--handlers", handlers, "--transport", url]),
        run("local", ["local", `${examples}/data-all.json`, "--handlers", handlers, "--json"], {
          MAILROOM_TRANSPORT: url,
        }),
      ]);
      expect(stats!.code, stats!.stderr).toBe(0);
      await run("dlq purge", ["dlq", "purge", "--limit", "1", "--yes", "--transport", url]);
      await run("dlq redrive", ["dlq", "redrive", "--transport", url]);
      await run("bridge", ["bridge", "--from", url, "--to", `sqlite:${bridged}`, "--until-empty", "--json"]);
      // The URL from the environment instead of --transport.
      await run("run", ["run", "--handlers", handlers, "--until-empty"], { MAILROOM_TRANSPORT: url });
      // A running worker's /metrics and /healthz.
      const live = started(["run", "--handlers", handlers, "--transport", url, "--health-port", "0"], {
        cwd: dir,
        env,
        fromSources: true,
      });
      const stderr = await live.stderrIncludes("until SIGTERM");
      const base = /health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(stderr)![1];
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain("mailroom_messages_received_total");
      expectNoSecret(`${name} /metrics`, metrics);
      expectNoSecret(`${name} /healthz`, await (await fetch(`${base}/healthz`)).text());
      live.child.kill("SIGTERM");
      expectClean(`${name} run --health-port`, await live.done);
      // The dashboard: its page, figures and dead letters, and what it prints.
      const board = started(["dashboard", "--transport", url, "--port", "0"], {
        cwd: dir,
        env,
        fromSources: true,
      });
      const boardErr = await board.stderrIncludes("Ctrl-C to stop");
      exercised.add("dashboard");
      const home = /dashboard on (http:\/\/127\.0\.0\.1:\d+)\//.exec(boardErr)![1];
      const state = await (await fetch(`${home}/api/state`)).text();
      expectNoSecret(`${name} dashboard /api/state`, state);
      expectNoSecret(`${name} dashboard /`, await (await fetch(`${home}/`)).text());
      const ids = [...state.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);
      for (const id of ids) {
        const dead = await fetch(`${home}/api/dead-letters?transport=${encodeURIComponent(id)}`);
        expectNoSecret(`${name} dashboard dead letters`, await dead.text());
      }
      board.child.kill("SIGTERM");
      expectClean(`${name} dashboard`, await board.done);
    }, 120_000);
  }
});

// One at a time: the API half sets each connection's environment in this process.
describe("secrets never show: failing connections", () => {
  for (const name of TRANSPORTS) {
    it(`a failing connection to ${name} (refused or unreachable) shows the secret nowhere: CLI output, worker logs, thrown errors with their causes`, async () => {
      const target = targets.find((t) => t.name === name)!;
      const { dir } = workdir();
      for (const failing of target.failing) {
        const env = { ...debug, ...failing.env };
        const commands = [
          ["run", "--handlers", handlers, "--transport", failing.url, "--connect-timeout", "1s"],
          ["send", "order_created", '{"id":"o-1"}', "--transport", failing.url],
          ["stats", "--transport", failing.url, "--json"],
          ["dlq", "list", "--transport", failing.url],
        ];
        const results = await Promise.all(
          commands.map((args) => cli(args, { cwd: dir, env, fromSources: true })),
        );
        results.forEach((r, i) => {
          expectClean(`${name} (${failing.what}) ${commands[i]!.join(" ")}`, r);
          expect(r.code, `${commands[i]!.join(" ")}: ${r.stderr}`).not.toBe(0);
        });
        // The API: the error a Worker stops with, inspected with every cause, and what it logged.
        const logger = recordingLogger();
        const saved = { ...process.env };
        Object.assign(process.env, failing.env);
        try {
          const error = await (async () => {
            const transport = await openTransport(failing.url);
            const worker = new Worker(handlersApp(logger), transport.source(), {
              connectTimeoutMs: 1_000,
              logger,
            });
            try {
              await worker.start();
            } finally {
              await transport.close().catch(() => {});
            }
          })().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, `${name} (${failing.what}) should fail`).toBeDefined();
          expectNoSecret(
            `${name} (${failing.what}) error`,
            inspect(error, { depth: Number.POSITIVE_INFINITY }),
          );
          expectNoSecret(`${name} (${failing.what}) error`, String((error as Error).stack));
          expectNoSecret(`${name} (${failing.what}) worker logs`, JSON.stringify(logger.lines));
        } finally {
          for (const key of Object.keys(failing.env)) delete process.env[key];
          Object.assign(process.env, saved);
        }
      }
    }, 120_000);
  }
});

describe("secrets never show: coverage", () => {
  it("exercised every command the CLI lists in its help", async () => {
    const { dir } = workdir();
    expect([...exercised].sort()).toEqual((await listedCommands(dir)).sort());
  });
});
