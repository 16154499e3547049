// Cold start of the function entries and the size of a function bundle.
//   node --conditions=@mailroom/source bench/size/run.ts    (after `npm run build`: imports load dist)
//
// Cold import: a fresh Node process imports the entry from dist, as a function loads it, and
// reports the CPU time of the import (on a shared machine wall time also counts the wait for a
// core, which a function's cold start does not have), the wall time, and every module file it
// loaded. Bundle: esbuild bundles a handler file as users write one (`createApp` + `toLambda`),
// minified; with the AWS SDK, pino and the OpenTelemetry API left out it is core + the SQS
// adapter, and the metafile tells what each input added (bench/results.json).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build, type Metafile } from "esbuild";
import { type Figure, median, QUICK, report } from "../lib/result.ts";

const run = promisify(execFile);
const RUNS = QUICK ? 5 : 11;
const BENCH_DIR = fileURLToPath(new URL("../", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const probe = (specifiers: readonly string[]) => `
import { registerHooks } from "node:module";
const files = new Set();
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) files.add(url); return next(url, context); } });
const cpu = process.cpuUsage();
const t0 = performance.now();
${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join("\n")}
const wallMs = performance.now() - t0;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ ms: (used.user + used.system) / 1000, wallMs, files: [...files] }));
`;

interface Cold {
  /** Median CPU ms of the import. */
  ms: number;
  wallMs: number;
  files: number;
  kib: number;
}

/** The import in fresh processes: medians of CPU and wall time, the module files loaded, their bytes. */
async function coldImport(specifiers: readonly string[]): Promise<Cold> {
  const times: number[] = [];
  const walls: number[] = [];
  let files: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe(specifiers)], {
      cwd: BENCH_DIR,
    });
    const out = JSON.parse(stdout) as { ms: number; wallMs: number; files: string[] };
    times.push(out.ms);
    walls.push(out.wallMs);
    files = out.files;
  }
  const bytes = files.reduce((s, f) => s + statSync(fileURLToPath(f)).size, 0);
  return { ms: median(times), wallMs: median(walls), files: files.length, kib: bytes / 1024 };
}

/** Bytes each package (or package of ours) adds to the bundle, largest first. */
function byPackage(metafile: Metafile): Record<string, number> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = input.includes("node_modules/")
        ? input.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "$1")
        : input.replace(/^packages\/([^/]+)\/src\/.*/, "@mailroom/$1");
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return Object.fromEntries([...sizes].sort((a, b) => b[1] - a[1]));
}

/** Bytes of each input file in the bundle, largest first. */
function byFile(metafile: Metafile): Record<string, number> {
  const sizes: Array<[string, number]> = [];
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
      sizes.push([input, bytesInOutput]);
  }
  return Object.fromEntries(sizes.sort((a, b) => b[1] - a[1]));
}

interface Bundle {
  bytes: number;
  metafile: Metafile;
  file: string;
  dir: string;
}

/**
 * esbuild of `source` (a handler file), minified, `external` left out, split as functions/
 * deploys it (what loads on first need — the SDK client, pino — is a chunk of its own: without
 * splitting, esbuild hoists an external import to the top of the bundle and the AWS SDK would
 * load at every cold start). Written under bench/ so the packages left out resolve when it is
 * imported. `bytes` counts every file written; the caller removes `dir`.
 */
async function bundle(source: string, external: string[]): Promise<Bundle> {
  const dir = mkdtempSync(join(BENCH_DIR, ".bundle-"));
  const entry = join(dir, "handler.ts");
  writeFileSync(entry, source);
  const out = join(dir, "out");
  const result = await build({
    entryPoints: { index: entry },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    splitting: true,
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    conditions: ["@mailroom/source"],
    external,
    metafile: true,
    logLevel: "error",
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  return { bytes, metafile: result.metafile, file: join(out, "index.mjs"), dir };
}

const HANDLER = `
import { createApp } from "@mailroom/core";
import { toLambda } from "@mailroom/adapter-sqs/lambda";
const app = createApp({ name: "orders" });
app.handle("order_created", async (order, ctx) => { await ctx.publish("invoice_requested", { order }); });
export const handler = toLambda(app);
`;
const SDK = ["@aws-sdk/*", "@smithy/*"];
const DEPENDENCIES = ["pino", "@opentelemetry/api"];

const lambdaEntry = await coldImport(["@mailroom/adapter-sqs/lambda"]);
const fcEntry = await coldImport(["@mailroom/adapter-mns/fc"]);
const handlerFile = await coldImport(["@mailroom/core", "@mailroom/adapter-sqs/lambda"]);
const coreAlone = await coldImport(["@mailroom/core"]);
const sdkAlone = await coldImport(["@aws-sdk/client-sqs"]);
const ours = await bundle(HANDLER, [...SDK, ...DEPENDENCIES]);
const withDependencies = await bundle(HANDLER, SDK);
let bundled: Cold;
try {
  bundled = await coldImport([pathToFileURL(withDependencies.file).href]);
} finally {
  rmSync(ours.dir, { recursive: true, force: true });
  rmSync(withDependencies.dir, { recursive: true, force: true });
}

const cold = (key: string, label: string, m: Cold, goal?: number): Figure[] => [
  {
    key: `${key}.ms`,
    label: `cold import: ${label}`,
    value: m.ms,
    unit: "CPU ms",
    digits: 1,
    ...(goal === undefined ? {} : { goal: { op: "<=" as const, target: goal } }),
  },
  {
    key: `${key}.wallMs`,
    label: "  wall time (waits for a core included)",
    value: m.wallMs,
    unit: "ms",
    digits: 1,
  },
  { key: `${key}.modules`, label: "  module files loaded", value: m.files, unit: "files", digits: 0 },
];
report({
  section: "size",
  setup: `cold import: medians of ${RUNS} fresh processes, dist build; bundle: esbuild, minified ESM for node22`,
  figures: [
    ...cold("cold.lambdaEntry", "@mailroom/adapter-sqs/lambda", lambdaEntry, 25),
    ...cold("cold.fcEntry", "@mailroom/adapter-mns/fc", fcEntry, 25),
    ...cold(
      "cold.lambdaHandlerFile",
      "@mailroom/core + the Lambda entry (a handler file, unbundled)",
      handlerFile,
    ),
    ...cold("cold.lambdaBundle", "that handler file bundled by esbuild (pino, OTel API inside)", bundled),
    ...cold("cold.core", "@mailroom/core alone", coreAlone),
    ...cold("cold.sdk", "@aws-sdk/client-sqs alone (for scale)", sdkAlone),
    {
      key: "bundle.coreAndSqs",
      label:
        "bundle: a Lambda handler file, core + SQS adapter, every chunk (AWS SDK, pino, OTel API left out)",
      value: ours.bytes / 1024,
      unit: "KiB",
      digits: 1,
      goal: { op: "<=", target: 60 },
    },
    {
      key: "bundle.withDependencies",
      label: "bundle: the same with pino and the OTel API in it (AWS SDK left out)",
      value: withDependencies.bytes / 1024,
      unit: "KiB",
      digits: 1,
    },
  ],
  details: {
    bundle: { byPackage: byPackage(ours.metafile), byFile: byFile(ours.metafile) },
    bundleWithDependencies: { byPackage: byPackage(withDependencies.metafile) },
    entryKiB: { lambda: lambdaEntry.kib, fc: fcEntry.kib },
  },
});
