import { isAbsolute, join, relative, sep } from "node:path";

/**
 * The package a bundled input belongs to, from its esbuild path (relative to `root`, or
 * `namespace:path` for a generated module): the package name under node_modules,
 * `@mailroom/<x>` for this repository's packages, `handlers` for the handlers directory and the
 * module listing it, and `function` for the function's own glue code.
 */
export function packageOf(input: string, root: string, handlersDir: string): string {
  if (input.startsWith("mailroom-handlers:")) return "handlers";
  const abs = isAbsolute(input) ? input : join(root, input);
  const modules = abs.lastIndexOf(`${sep}node_modules${sep}`);
  if (modules !== -1) {
    const parts = abs.slice(modules + "/node_modules/".length).split(sep);
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (!relative(handlersDir, abs).startsWith("..")) return "handlers";
  const pkg = /^packages\/([^/]+)\//.exec(relative(root, abs).split(sep).join("/"));
  return pkg ? `@mailroom/${pkg[1]}` : "function";
}
