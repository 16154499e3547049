import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

/** The repository root and the paths tests use. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/**
 * The CLI under test: the build of this checkout, or `$MAILROOM_CLI_BIN` (to check that a new
 * test fails on an older build; then the build step is skipped).
 */
export const bin = process.env.MAILROOM_CLI_BIN ?? join(root, "packages/cli/dist/bin.js");
export const examples = join(root, "examples");
export const fixtures = join(root, "packages/cli/test/fixtures");

/**
 * Build the CLI (and core, by reference) once per test run, so the tests work from a fresh
 * clone. Test files run in parallel processes: a lock directory serialises the builds.
 */
export async function buildCli(): Promise<void> {
  if (process.env.MAILROOM_CLI_BIN) return;
  const lock = join(tmpdir(), "mailroom-cli-build.lock");
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: wait until it removes the lock. A lock older than two
      // minutes is left over from a crash.
      await removed(lock, STALE_LOCK_MS);
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS)
          rmSync(lock, { recursive: true, force: true });
      } catch {}
    }
  }
  try {
    execFileSync(join(root, "node_modules/.bin/tsc"), ["-b", "packages/cli"], {
      cwd: root,
      stdio: "pipe",
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const STALE_LOCK_MS = 120_000;

/** Resolves when `path` is gone (watched, not polled), or once it could be stale. */
function removed(path: string, staleMs: number): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dirname(path), (_event, file) => {
      if (file === basename(path) && !existsSync(path)) done();
    });
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {}
    const timer = setTimeout(done, Math.max(0, staleMs - age) + 100);
    function done() {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    // Removed between mkdir failing and the watch starting: no event will come.
    if (!existsSync(path)) done();
  });
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary working directory with a queue file URL in it, removed when the test ends. */
export function workdir(): { dir: string; queue: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-cli-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, "q.db");
  return { dir, queue: `sqlite:${db}`, db };
}

/** Where and how the CLI runs. */
export interface CliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Load the workspace packages (core, adapters) from their TypeScript sources, as vitest does,
   * instead of their builds: for tests of adapters the CLI build does not include.
   */
  fromSources?: boolean;
}

/** Run the built CLI as a real subprocess with this Node, in `cwd`, and collect its output. */
export function cli(args: string[], options: CliOptions): Promise<CliResult> {
  return started(args, options).done;
}

/**
 * Start the CLI and return the child with a promise of its result (for signal tests). A child
 * still running when its test ends is killed.
 */
export function started(
  args: string[],
  options: CliOptions,
): {
  child: ReturnType<typeof spawn>;
  done: Promise<CliResult>;
  /** Resolves with everything printed on stderr so far, once it includes `text`. */
  stderrIncludes(text: string): Promise<string>;
} {
  // The caller's environment must not leak a transport or log level into the CLI under test.
  const env = { ...process.env };
  delete env.MAILROOM_TRANSPORT;
  delete env.MAILROOM_LOG_LEVEL;
  const conditions = options.fromSources ? ["--conditions=@mailroom/source"] : [];
  const child = spawn(process.execPath, [...conditions, bin, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ text: string; resolve: (stderr: string) => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of waiters.filter((x) => stderr.includes(x.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(stderr);
    }
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    stderrIncludes: (text) =>
      stderr.includes(text)
        ? Promise.resolve(stderr)
        : new Promise((resolve) => waiters.push({ text, resolve })),
  };
}

/** Parse JSON lines. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
