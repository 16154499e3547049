import { relative, sep } from "node:path";
import type { Plugin } from "esbuild";

/**
 * An esbuild plugin that declares this repository's packages (`packages/*\/src`) free of
 * import-time side effects, as a `"sideEffects": false` would for a published package: a module
 * none of whose exports the function uses is left out with everything it imports. That keeps
 * the local SQLite queue (`node:sqlite`, which Function Compute's Node 20 does not have) and
 * other worker-only code out of a function bundle.
 */
export function sideEffectFreePlugin(root: string): Plugin {
  const isOurs = (path: string) => /^packages\/[^/]+\/src\//.test(relative(root, path).split(sep).join("/"));
  return {
    name: "mailroom-side-effect-free",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === "side-effect-free" || args.kind === "entry-point") return undefined;
        if (!args.path.startsWith(".") && !args.path.startsWith("@mailroom/")) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: "side-effect-free",
        });
        if (resolved.errors.length > 0 || !isOurs(resolved.path)) return undefined;
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}
