/**
 * Build every deployable function artefact and print their sizes:
 *
 *   npm run functions:build [-- --handlers DIR] [-- NAME...]
 *
 * Each function under functions/ is bundled from the handlers directory (default
 * `examples/handlers`, or `$MAILROOM_HANDLERS`) into `functions/dist/<name>/` and zipped to
 * `functions/dist/<name>.zip`, ready to upload. The container image needs a Docker engine and is
 * built with `docker build -f functions/container/Dockerfile .`; this command says so when there
 * is none.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { aliyunFcMns } from "./aliyun-fc-mns/function.ts";
import { awsLambdaSqs } from "./aws-lambda-sqs/function.ts";
import { azureQueue } from "./azure-queue/function.ts";
import { buildFunction, REPO_ROOT } from "./lib/build-function.ts";
import { sizeTable } from "./lib/size-table.ts";
import type { BuiltFunction, FunctionSpec } from "./lib/spec.ts";

/** Every function this command builds, by name. */
export const FUNCTIONS: readonly FunctionSpec[] = [awsLambdaSqs, aliyunFcMns, azureQueue];

const { values, positionals } = parseArgs({
  options: { handlers: { type: "string" }, out: { type: "string" } },
  allowPositionals: true,
});
const handlersDir = resolve(
  values.handlers ?? process.env.MAILROOM_HANDLERS ?? join(REPO_ROOT, "examples/handlers"),
);
const outDir = resolve(values.out ?? join(REPO_ROOT, "functions/dist"));
const unknown = positionals.filter((n) => !FUNCTIONS.some((f) => f.name === n));
if (unknown.length > 0) {
  console.error(`unknown function ${unknown.join(", ")}; known: ${FUNCTIONS.map((f) => f.name).join(", ")}`);
  process.exit(2);
}
const chosen = positionals.length > 0 ? FUNCTIONS.filter((f) => positionals.includes(f.name)) : FUNCTIONS;

const built: BuiltFunction[] = [];
for (const spec of chosen) built.push(await buildFunction(spec, { handlersDir, outDir }));
console.log(`handlers: ${handlersDir}\n`);
console.log(sizeTable(built, process.cwd()));

const docker = spawnSync("docker", ["info"], { stdio: "ignore" });
console.log(
  docker.status === 0
    ? "\ncontainer: docker build -f functions/container/Dockerfile -t mailroom-worker ."
    : "\ncontainer: not built here (no Docker engine); with one: docker build -f functions/container/Dockerfile -t mailroom-worker .",
);
