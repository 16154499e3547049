import { spawn, spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../build-function.ts";
import { unzip } from "../zip.ts";

/** An artefact unpacked as the provider would lay it out (`/var/task`, `/code`). */
export interface Unpacked {
  dir: string;
  remove(): Promise<void>;
}

/**
 * Unpack a function's zip into a fresh folder. `provided` names packages the provider's runtime
 * supplies (Lambda's AWS SDK: `@aws-sdk`): they are linked from this repository's node_modules,
 * so the artefact finds them as it would on the provider, and nothing else. `standIns` installs
 * a CommonJS file as a package the provider's worker injects (`@azure/functions-core`).
 */
export async function unpackArtefact(
  zipPath: string,
  provided: string[] = [],
  standIns: Record<string, string> = {},
): Promise<Unpacked> {
  const dir = await mkdtemp(join(tmpdir(), "mailroom-artefact-"));
  for (const [path, bytes] of unzip(await readFile(zipPath))) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  for (const name of provided) {
    const target = join(dir, "node_modules", name);
    await mkdir(dirname(target), { recursive: true });
    await symlink(join(REPO_ROOT, "node_modules", name), target);
  }
  for (const [name, file] of Object.entries(standIns)) {
    const target = join(dir, "node_modules", name);
    await mkdir(target, { recursive: true });
    await copyFile(file, join(target, "index.js"));
    await writeFile(join(target, "package.json"), JSON.stringify({ name, main: "index.js" }));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A preload (`NODE_OPTIONS=--import`) that registers an OpenTelemetry API global, as an SDK layer would. */
export const OTEL_REGISTERED = new URL("./otel-registered.mjs", import.meta.url).pathname;

/** The recording stand-in for the Azure Functions worker's `@azure/functions-core`. */
export const AZURE_FUNCTIONS_CORE = new URL("./azure-functions-core.cjs", import.meta.url).pathname;

/** One invocation of a handler in an unpacked artefact. */
export interface Invocation {
  /** Whose runtime to stand in for: the event's and context's form. */
  provider: "lambda" | "fc" | "azure";
  /** `file.export`, as configured on the function (Azure: the function's name). Default `index.handler`. */
  handler?: string;
  event: unknown;
  /** The context object (Lambda's `getRemainingTimeInMillis` is added). */
  context?: Record<string, unknown>;
  /** The function's timeout, ms. Default 30,000. */
  timeoutMs?: number;
  /** The function's environment variables (nothing else of this process's is passed). */
  env?: Record<string, string>;
  /** The Node executable standing in for the provider's runtime. Default: this process's. */
  node?: string;
}

/** What the handler answered: its return value, or the error it threw (the provider's failure). */
export type InvocationResult =
  | { ok: true; value: unknown; log: string }
  | { ok: false; error: { name: string; message: string }; log: string };

/**
 * Invoke a built function once in a child Node process, as its provider would: import the
 * handler from the unpacked artefact, call it with the event and context, and report what it
 * returned or threw, with what it logged.
 */
export async function invokeArtefact(dir: string, invocation: Invocation): Promise<InvocationResult> {
  const work = await mkdtemp(join(tmpdir(), "mailroom-invoke-"));
  try {
    const request = join(work, "invocation.json");
    const result = join(work, "result.json");
    await writeFile(
      request,
      JSON.stringify({
        provider: invocation.provider,
        event: invocation.event,
        context: invocation.context ?? {},
        timeoutMs: invocation.timeoutMs ?? 30_000,
      }),
    );
    const runtime = new URL("./runtime.mjs", import.meta.url).pathname;
    const child = spawn(
      invocation.node ?? process.execPath,
      [runtime, dir, invocation.handler ?? "index.handler", request, result],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", ...invocation.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let log = "";
    child.stdout.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    const text = await readFile(result, "utf8").catch(() => undefined);
    if (text === undefined) throw new Error(`the runtime exited ${code} without a result:\n${log}`);
    return { ...(JSON.parse(text) as { ok: true; value: unknown }), log };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A Node executable of the given major version to stand in for a provider's runtime: `$envName`
 * if set, else the system's `/usr/bin/node` or `node` on PATH when it is that version, else
 * this process's Node. Returns the path and the version it runs, for the test's name.
 */
export function nodeOfMajor(major: number, envName: string): { path: string; version: string } {
  const candidates = [process.env[envName], "/usr/bin/node", "node"].filter((c): c is string => !!c);
  for (const path of candidates) {
    const probe = spawnSync(path, ["--version"], { encoding: "utf8" });
    const version = probe.stdout?.trim();
    if (probe.status === 0 && version?.startsWith(`v${major}.`)) return { path, version };
  }
  return { path: process.execPath, version: process.version };
}
