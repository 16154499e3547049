import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../lib/build-function.ts";
import type { FunctionSpec } from "../lib/spec.ts";

/**
 * The FC MNS function: ESM for FC's Node.js 20 runtime. The MNS SDK (`@alicloud/mns`, CommonJS,
 * loaded by the adapter with `require` on first need) is not in FC's runtime, so it ships beside
 * the bundle as one minified file in `node_modules/@alicloud/mns`, where that `require` finds it.
 */
export const aliyunFcMns: FunctionSpec = {
  name: "aliyun-fc-mns",
  runtime: "Aliyun FC 3.0 nodejs20, MNS queue and topic triggers",
  entry: new URL("./src/index.ts", import.meta.url).pathname,
  target: "node20",
  corePackages: ["@mailroom/core", "@mailroom/adapter-mns"],
  async addFiles(dir, { target }) {
    const sdkDir = join(dir, "node_modules/@alicloud/mns");
    await mkdir(sdkDir, { recursive: true });
    await build({
      // The package's index picks lib/ (async functions) or an ES5 build whose Babel runtime it does
      // not depend on; every Node FC runs has async functions.
      entryPoints: [join(REPO_ROOT, "node_modules/@alicloud/mns/lib/client.js")],
      outfile: join(sdkDir, "index.js"),
      bundle: true,
      format: "cjs",
      platform: "node",
      target,
      minify: true,
      legalComments: "none",
      logLevel: "error",
    });
    await writeFile(
      join(sdkDir, "package.json"),
      `${JSON.stringify({ name: "@alicloud/mns", main: "index.js" })}\n`,
    );
  },
};
