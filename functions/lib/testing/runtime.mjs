/**
 * A stand-in for a provider's Node runtime, run in a child process by `invokeArtefact`: it
 * imports the handler module from an unpacked artefact the way Lambda and Function Compute do
 * (`file.export`, `.mjs` then `.js`), calls it once with the event and a context of that
 * provider's shape, and writes what it returned or threw to a file as JSON. Plain JavaScript, so
 * that any Node the provider runs (Function Compute's Node 20 has no type stripping) can run it.
 *
 *   node runtime.mjs <dir> <file.export> <invocation.json> <result.json>
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, handlerName, invocationFile, resultFile] = process.argv.slice(2);
/** @type {{ provider: "lambda" | "fc", event: unknown, context: Record<string, unknown>, timeoutMs: number }} */
const invocation = JSON.parse(await readFile(invocationFile, "utf8"));
const [file, exported] = handlerName.split(".");
const path = [".mjs", ".js"].map((ext) => join(dir, file + ext)).find((p) => existsSync(p));
if (!path) throw new Error(`no ${file}.mjs or ${file}.js in ${dir}`);

const deadline = Date.now() + invocation.timeoutMs;
let outcome;
try {
  const mod = await import(pathToFileURL(path).href);
  const handler = mod[exported];
  if (typeof handler !== "function") throw new TypeError(`${handlerName} is not a function`);
  // Lambda hands over the parsed JSON event; Function Compute the request body as a Buffer.
  const event =
    invocation.provider === "fc" ? Buffer.from(JSON.stringify(invocation.event)) : invocation.event;
  const context =
    invocation.provider === "lambda"
      ? { ...invocation.context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) }
      : invocation.context;
  outcome = { ok: true, value: await handler(event, context) };
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  outcome = { ok: false, error: { name: e.name, message: e.message } };
}
await writeFile(resultFile, JSON.stringify(outcome));
