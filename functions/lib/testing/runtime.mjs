/**
 * A stand-in for a provider's Node runtime, run in a child process by `invokeArtefact`: it
 * imports the handler module from an unpacked artefact the way Lambda and Function Compute do
 * (`file.export`, `.mjs` then `.js`), calls it once with the event and a context of that
 * provider's shape, and writes what it returned or threw to a file as JSON. Plain JavaScript, so
 * that any Node the provider runs (Function Compute's Node 20 has no type stripping) can run it.
 * For Azure Functions it loads the app's `main` module, which registers its functions with the
 * worker's `@azure/functions-core` (a recording stand-in), and runs the named function through
 * the app's programming model as the worker does: arguments from an RPC invocation request
 * (input data and trigger metadata), the call, then the RPC response.
 *
 *   node runtime.mjs <dir> <file.export | function name> <invocation.json> <result.json>
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, handlerName, invocationFile, resultFile] = process.argv.slice(2);
/** @type {{ provider: "lambda" | "fc" | "azure", event: any, context: Record<string, unknown>, timeoutMs: number }} */
const invocation = JSON.parse(await readFile(invocationFile, "utf8"));
const deadline = Date.now() + invocation.timeoutMs;

/** Azure: load the app, then run function `name` on an RPC invocation request `{ data, triggerMetadata }`. */
async function invokeAzure(name) {
  const main = join(dir, JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).main);
  await import(pathToFileURL(main).href);
  const core = createRequire(main)("@azure/functions-core");
  const registered = core.registered.map((f) => ({ name: f.metadata.name, bindings: f.metadata.bindings }));
  const fn = core.registered.find((f) => f.metadata.name === name);
  if (!fn) throw new Error(`no function ${name}; registered: ${registered.map((r) => r.name).join(", ")}`);
  const [triggerName] = Object.entries(fn.metadata.bindings).find(([, b]) => b.type.endsWith("Trigger"));
  const coreCtx = {
    invocationId: invocation.context.invocationId ?? "00000000-0000-0000-0000-000000000001",
    metadata: fn.metadata,
    request: {
      inputData: [{ name: triggerName, data: invocation.event.data }],
      triggerMetadata: invocation.event.triggerMetadata,
    },
    log() {},
  };
  const model = core.programmingModel.getInvocationModel(coreCtx);
  const { context, inputs } = await model.getArguments();
  const result = await model.invokeFunction(context, inputs, fn.callback);
  return { registered, response: await model.getResponse(context, result) };
}

let outcome;
try {
  outcome =
    invocation.provider === "azure"
      ? { ok: true, value: await invokeAzure(handlerName) }
      : await invokeExport();
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  outcome = { ok: false, error: { name: e.name, message: e.message } };
}
await writeFile(resultFile, JSON.stringify(outcome));
// One invocation, then the stand-in ends, as a provider freezes or recycles the instance (open
// keep-alive sockets of SDK clients would otherwise hold the process).
process.exit(0);

/** Lambda and FC: call `file.export` with the event and a context of the provider's shape. */
async function invokeExport() {
  const [file, exported] = handlerName.split(".");
  const path = [".mjs", ".js"].map((ext) => join(dir, file + ext)).find((p) => existsSync(p));
  if (!path) throw new Error(`no ${file}.mjs or ${file}.js in ${dir}`);
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
  return { ok: true, value: await handler(event, context) };
}
