import { readdirSync } from "node:fs";
import { join } from "node:path";
import { isHandlerFile } from "@mailroom/cli";
import type { Plugin } from "esbuild";

/** The import a function's code uses for its handlers. */
export const HANDLERS_MODULE = "mailroom:handlers";

/** The handler files of `dir`, as `mailroom run --handlers` picks them (name order, no tests or `_files`). */
export function handlerFiles(dir: string): string[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && isHandlerFile(e.name))
    .map((e) => join(dir, e.name))
    .sort();
  if (files.length === 0) {
    throw new Error(
      `no handler files in ${dir} (looked for *.ts, *.mts, *.js, *.mjs; tests and _files skipped)`,
    );
  }
  return files;
}

/**
 * An esbuild plugin that answers `import definitions from "mailroom:handlers"` with a module
 * importing every handler file of `dir` statically, so the bundler sees (and tree-shakes) the
 * handlers and their dependencies instead of a directory read at run time.
 */
export function handlersPlugin(dir: string): Plugin {
  return {
    name: "mailroom-handlers",
    setup(build) {
      build.onResolve({ filter: /^mailroom:handlers$/ }, () => ({
        path: dir,
        namespace: "mailroom-handlers",
      }));
      build.onLoad({ filter: /.*/, namespace: "mailroom-handlers" }, () => {
        const files = handlerFiles(dir);
        const imports = files.map((f, i) => `import h${i} from ${JSON.stringify(f)};`).join("\n");
        const list = files.map((_, i) => `h${i}`).join(", ");
        // A handler file may default-export one definition or an array of them.
        return { contents: `${imports}\nexport default [${list}].flat();\n`, loader: "js", resolveDir: dir };
      });
    },
  };
}
