import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename } from "node:path";

/**
 * The interpreter the interop tests run: `MAILROOM_PYTHON`, else the system `/usr/bin/python3`
 * (Debian's python3-pika installs for it, even when pyenv or asdf put another `python3` first on
 * PATH), else `python3` on PATH.
 */
export const PYTHON =
  process.env.MAILROOM_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

/**
 * Throw — so the tests fail, never skip — unless `PYTHON` imports every module, with the fix in
 * the message.
 */
export function requirePythonModules(modules: string[]): void {
  for (const module of modules) {
    if (importable.has(module)) continue;
    const r = spawnSync(PYTHON, ["-c", `import ${module}`], { encoding: "utf8" });
    if (r.status !== 0) {
      const why = r.error ? r.error.message : r.stderr.trim().split("\n").at(-1);
      throw new Error(
        `${PYTHON} cannot import ${module} (${why}): run scripts/services.sh, which installs python3-${module}, ` +
          "or set MAILROOM_PYTHON to an interpreter that has it",
      );
    }
    importable.add(module);
  }
}

const importable = new Set<string>();

/**
 * A running `python3 <script>` (an absolute path): its JSON stdout lines as they come, and its
 * exit. Shared by the AMQP and SQS interop tests.
 */
export class PythonProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  readonly #child: ChildProcess;
  readonly #script: string;
  #stderr = "";
  #closed = false;
  #waiters: Array<() => void> = [];

  constructor(script: string, args: string[], env: Record<string, string> = {}) {
    this.#script = basename(script);
    this.#child = spawn(PYTHON, [script, ...args], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    this.#child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) if (line.trim()) this.lines.push(parseLine(line));
      this.#wake();
    });
    this.#child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.#child.once("error", (error) => {
        this.#stderr += String(error);
        this.#closed = true;
        this.#wake();
        resolve({ code: -1, stderr: this.#stderr });
      });
      this.#child.once("close", (code) => {
        this.#closed = true;
        this.#wake();
        resolve({ code, stderr: this.#stderr });
      });
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolve with the first line matching `match`; reject if the script exits first or after `timeoutMs`. */
  async waitForLine(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(match);
      if (hit) return hit;
      if (this.#closed)
        throw new Error(`${this.#script} exited before printing the line awaited: ${this.#stderr}`);
      if (Date.now() > deadline)
        throw new Error(`${this.#script} printed no matching line in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Await a successful exit and return every line printed; throw with stderr otherwise. */
  async done(): Promise<Array<Record<string, unknown>>> {
    const { code, stderr } = await this.exited;
    if (code !== 0) throw new Error(`${PYTHON} ${this.#script} exited with ${code}: ${stderr.trim()}`);
    return this.lines;
  }

  /** Stop the script if it is still running (test cleanup). */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGTERM");
  }
}

/** Run a script to its end; resolve with its JSON lines, reject with its stderr on failure. */
export function runPython(
  script: string,
  args: string[],
  env?: Record<string, string>,
): Promise<Array<Record<string, unknown>>> {
  return new PythonProcess(script, args, env).done();
}

/** A stdout line: the JSON object the scripts print, or `{ text }` for anything else. */
function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // not JSON: kept as text below
  }
  return { text: line };
}
