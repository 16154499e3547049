// Cold start of the function entries and the size of a function bundle.
//   node --conditions=@mailroom/source bench/size/run.ts    (after `npm run build`: imports load dist)
//
// Cold import: a fresh Node process imports the entry from dist, as a function loads it, and
// reports the time and every module file loaded. Bundle: esbuild bundles a handler file as users
// write one (`createApp` + `toLambda`), minified; the AWS SDK, pino and the OpenTelemetry API are
// left out (the figure is core + the SQS adapter), and the metafile says what each input added.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
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
const t0 = performance.now();
${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join("\n")}
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, files: [...files] }));
`;

/** Median import time over fresh processes, the module files loaded, their bytes. */
async function coldImport(
  specifiers: readonly string[],
): Promise<{ ms: number; files: number; kib: number }> {
  const times: number[] = [];
  let files: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe(specifiers)], {
      cwd: BENCH_DIR,
    });
    const out = JSON.parse(stdout) as { ms: number; files: string[] };
    times.push(out.ms);
    files = out.files;
  }
  const bytes = files.reduce((s, f) => s + statSync(fileURLToPath(f)).size, 0);
  return { ms: median(times), files: files.length, kib: bytes / 1024 };
}

/** Bytes each package (or folder of ours) adds to the bundle, largest first. */
function byInput(metafile: Metafile): Array<[string, number]> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = input.includes("node_modules/")
        ? input.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, "$1")
        : input.replace(/^packages\/([^/]+)\/src\/.*/, "@mailroom/$1");
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

/** esbuild of `source` (a handler file), minified; `external` left out. */
async function bundle(source: string, external: string[]): Promise<{ bytes: number; metafile: Metafile }> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-bundle-"));
  try {
    const entry = join(ROOT, "bench", `.bundle-entry-${process.pid}.ts`);
    writeFileSync(entry, source);
    try {
      const result = await build({
        entryPoints: [entry],
        outfile: join(dir, "index.mjs"),
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
      return { bytes: statSync(join(dir, "index.mjs")).size, metafile: result.metafile };
    } finally {
      rmSync(entry, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

const kib = (bytes: number) => bytes / 1024;
const cold = (key: string, label: string, m: { ms: number; files: number }, goal?: number): Figure[] => [
  {
    key: `${key}.ms`,
    label: `cold import: ${label}`,
    value: m.ms,
    unit: "ms",
    digits: 1,
    ...(goal === undefined ? {} : { goal: { op: "<=" as const, target: goal } }),
  },
  { key: `${key}.modules`, label: `  modules loaded: ${label}`, value: m.files, unit: "files", digits: 0 },
];
report({
  section: "size",
  setup: `cold import: median of ${RUNS} fresh processes, dist build; bundle: esbuild ${"minified ESM"}, ${relative(ROOT, import.meta.filename)}`,
  figures: [
    ...cold("cold.lambdaEntry", "@mailroom/adapter-sqs/lambda", lambdaEntry, 25),
    ...cold("cold.fcEntry", "@mailroom/adapter-mns/fc", fcEntry, 25),
    ...cold(
      "cold.lambdaHandlerFile",
      "@mailroom/core + the Lambda entry (a handler file, unbundled)",
      handlerFile,
    ),
    ...cold("cold.core", "@mailroom/core alone", coreAlone),
    ...cold("cold.sdk", "@aws-sdk/client-sqs alone (for scale)", sdkAlone),
    {
      key: "bundle.coreAndSqs",
      label: "bundle: a Lambda handler file, core + SQS adapter (AWS SDK, pino, OTel API left out)",
      value: kib(ours.bytes),
      unit: "KiB",
      digits: 1,
      goal: { op: "<=", target: 60 },
    },
    {
      key: "bundle.withDependencies",
      label: "bundle: the same with pino and the OTel API in it (AWS SDK left out)",
      value: kib(withDependencies.bytes),
      unit: "KiB",
      digits: 1,
    },
  ],
  details: {
    bundleInputs: Object.fromEntries(byInput(ours.metafile)),
    bundleWithDependenciesInputs: Object.fromEntries(byInput(withDependencies.metafile)),
    lambdaEntryKiB: lambdaEntry.kib,
  },
});
