import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const RUNS = 7;

/**
 * A fresh Node process imports `specifier` (from dist, as users load it) and reports the import
 * time and every module file it loaded: the cold-start import graph (what a bundler would have to
 * include, before tree-shaking).
 */
const probe = (specifier: string) => `
import { registerHooks } from "node:module";
const files = new Set();
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) files.add(url); return next(url, context); } });
const t0 = performance.now();
await import(${JSON.stringify(specifier)});
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, files: [...files] }));
`;

async function measure(specifier: string): Promise<{ ms: number; files: number; bytes: number }> {
  const times: number[] = [];
  let files: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe(specifier)], {
      cwd: fileURLToPath(new URL("../", import.meta.url)),
    });
    const out = JSON.parse(stdout) as { ms: number; files: string[] };
    times.push(out.ms);
    files = out.files;
  }
  const bytes = files.reduce((s, f) => s + statSync(fileURLToPath(f)).size, 0);
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)]!, files: files.length, bytes };
}

/** Cold import time and import-graph size of the Lambda entry vs the full adapter and the bare SDK. */
export async function coldImport(): Promise<void> {
  const targets = [
    ["@mailroom/adapter-sqs/lambda (the Lambda entry)", "@mailroom/adapter-sqs/lambda"],
    ["@mailroom/adapter-sqs (worker + everything)", "@mailroom/adapter-sqs"],
    ["@aws-sdk/client-sqs alone", "@aws-sdk/client-sqs"],
    ["@mailroom/core alone", "@mailroom/core"],
  ] as const;
  console.log(
    `\nCold import (fresh node process, dist build, median of ${RUNS}); graph = module files loaded`,
  );
  console.log("| import | ms | files | KiB |");
  console.log("|---|---:|---:|---:|");
  for (const [label, spec] of targets) {
    const m = await measure(spec);
    console.log(`| ${label} | ${m.ms.toFixed(1)} | ${m.files} | ${(m.bytes / 1024).toFixed(0)} |`);
  }
}
