import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { handlersPlugin } from "./handlers-plugin.ts";
import { packageOf } from "./packages.ts";
import { sideEffectFreePlugin } from "./side-effects-plugin.ts";
import type { BuiltFunction, FunctionSpec } from "./spec.ts";
import { zipDirectory } from "./zip.ts";

/** The repository root. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Where and from what one build writes its artefact. */
export interface BuildOptions {
  /** The handlers directory baked into the artefact. */
  handlersDir: string;
  /** The folder for this artefact: `<outDir>/<name>/` (unpacked) and `<outDir>/<name>.zip`. */
  outDir: string;
}

// CommonJS dependencies (pino) call require(); an ES module has none, so every file gets one.
const REQUIRE_SHIM =
  'import { createRequire as __mailroomRequire } from "node:module"; const require = __mailroomRequire(import.meta.url);';

/**
 * Bundle one function with esbuild (ES module, minified, the provider's Node version, its
 * runtime's packages left out), add the files it needs beside the bundle, and zip it. The
 * repository's packages are bundled from their TypeScript sources, so no `tsc` build is needed.
 */
export async function buildFunction(spec: FunctionSpec, options: BuildOptions): Promise<BuiltFunction> {
  const dir = join(options.outDir, spec.name);
  const zip = join(options.outDir, `${spec.name}.zip`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const result = await build({
    entryPoints: { index: spec.entry },
    outdir: dir,
    absWorkingDir: REPO_ROOT,
    bundle: true,
    format: "esm",
    platform: "node",
    target: spec.target,
    minify: true,
    // Error classes name themselves after their class (`new.target.name`): keep those names.
    keepNames: true,
    splitting: spec.splitting ?? false,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    external: spec.external ?? [],
    // "module" picks a package's ES build where it has one (the OpenTelemetry API): its named
    // exports survive a dynamic import, which a CommonJS build's do not in an ESM bundle.
    conditions: ["@mailroom/source", "module"],
    banner: { js: REQUIRE_SHIM },
    legalComments: "none",
    metafile: true,
    logLevel: "error",
    plugins: [handlersPlugin(options.handlersDir), sideEffectFreePlugin(REPO_ROOT)],
  });
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ type: "module", ...spec.packageJson }, null, 2)}\n`,
  );
  await spec.addFiles?.(dir, { handlersDir: options.handlersDir, target: spec.target });

  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = packageOf(input, REPO_ROOT, options.handlersDir);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  const zipped = await zipDirectory(dir);
  await writeFile(zip, zipped);
  const { files, bytes } = await sizeOf(dir);
  return { spec, dir, zip, files, bytes, zipBytes: (await stat(zip)).size, byPackage };
}

async function sizeOf(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    files.push(abs.slice(dir.length + 1));
    bytes += (await stat(abs)).size;
  }
  return { files: files.sort(), bytes };
}
