import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root and the paths tests use. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const bin = join(root, "packages/cli/dist/bin.js");
export const examples = join(root, "examples");
export const fixtures = join(root, "packages/cli/test/fixtures");

/**
 * Build the CLI (and core, by reference) once per test run, so the tests work from a fresh
 * clone. Test files run in parallel processes: a lock directory serialises the builds.
 */
export async function buildCli(): Promise<void> {
  const lock = join(tmpdir(), "mailroom-cli-build.lock");
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes is left over from a crash.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
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

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temporary working directory with a queue file URL in it. */
export function workdir(): { dir: string; queue: string } {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-cli-"));
  return { dir, queue: `sqlite:${join(dir, "q.db")}` };
}

/** Run the built CLI as a real subprocess with this Node, in `cwd`, and collect its output. */
export function cli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return started(args, options).done;
}

/** Start the CLI and return the child with a promise of its result (for signal tests). */
export function started(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): {
  child: ReturnType<typeof spawn>;
  done: Promise<CliResult>;
  stderrIncludes(text: string): Promise<void>;
} {
  // The caller's environment must not leak a transport or log level into the CLI under test.
  const env = { ...process.env };
  delete env.MAILROOM_TRANSPORT;
  delete env.MAILROOM_LOG_LEVEL;
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
  });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    for (const w of waiters.filter((x) => stderr.includes(x.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
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
      stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve })),
  };
}

/** Parse JSON lines. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
