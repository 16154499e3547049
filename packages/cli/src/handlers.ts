import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type App,
  ConfigError,
  createApp,
  type HandlerDefinition,
  isHandlerDefinition,
  type Logger,
  registerAll,
} from "@mailroom/core";
import { CliError } from "./errors.ts";

/** The default handlers directory, relative to the working directory. */
export const DEFAULT_HANDLERS_DIR = "./handlers";

const EXPECTED_SHAPE = `expected a default export made with defineHandler, e.g.

  import { defineHandler } from "@mailroom/core";
  export default defineHandler("order_created", {}, async (data, ctx) => { … });

or an array of such definitions.`;

/** Which files of a handlers directory are handler files: `*.ts|*.mts|*.js|*.mjs`, not tests, declarations or `_private` files. */
export function isHandlerFile(file: string): boolean {
  if (file.startsWith("_") || file.startsWith(".")) return false;
  if (/\.d\.[mc]?ts$/.test(file) || /\.(test|spec)\.[mc]?[jt]s$/.test(file)) return false;
  return /\.(m?ts|m?js)$/.test(file);
}

/**
 * Resolve the handlers directory: the one given, else `./handlers` when it exists.
 * A missing directory is a `CliError` saying what to pass.
 */
export function resolveHandlersDir(dir: string | undefined, cwd = process.cwd()): string {
  if (dir === undefined) {
    const fallback = resolve(cwd, DEFAULT_HANDLERS_DIR);
    if (existsSync(fallback) && statSync(fallback).isDirectory()) return fallback;
    throw new CliError(
      "no handlers directory: ./handlers does not exist here; pass --handlers DIR (e.g. --handlers examples/handlers)",
    );
  }
  const abs = resolve(cwd, dir);
  if (!existsSync(abs)) throw new CliError(`handlers directory not found: ${dir}`);
  if (!statSync(abs).isDirectory()) throw new CliError(`--handlers ${dir} is not a directory`);
  return abs;
}

/**
 * Import every handler file of `dir` (in name order) and collect their default exports.
 * Each must be a `HandlerDefinition` (from `defineHandler` / `defineBatchHandler`) or an array
 * of them; anything else is a `CliError` naming the file and showing the expected shape.
 */
export async function loadHandlers(dir: string): Promise<HandlerDefinition[]> {
  const files = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && isHandlerFile(e.name))
    .map((e) => e.name)
    .sort();
  if (files.length === 0) {
    throw new CliError(
      `no handler files in ${shown(dir)} (looked for *.ts, *.js, *.mjs; tests and _files skipped)`,
    );
  }
  const definitions: HandlerDefinition[] = [];
  const origin = new Map<string, string>();
  for (const file of files) {
    const path = join(dir, file);
    const exported = await importDefault(path);
    const list = Array.isArray(exported) ? exported : [exported];
    if (list.length === 0 || !list.every(isHandlerDefinition)) {
      throw new CliError(`${shown(path)}: the default export is ${describe(exported)}; ${EXPECTED_SHAPE}`);
    }
    for (const d of list) {
      const first = origin.get(d.name);
      // Core's own duplicate check would point at registerAll, not at the files: name them here.
      if (first !== undefined) {
        throw new ConfigError(
          `two handlers for "${d.name}": in ${first} and in ${shown(path)}. Each message name has exactly one handler; remove or rename one.`,
        );
      }
      origin.set(d.name, shown(path));
      definitions.push(d);
    }
  }
  return definitions;
}

/**
 * Load a handlers directory into a new app named `name`, logging through `logger` (default:
 * core's pino logger). Two handlers for one message name are core's `ConfigError`, naming both files.
 */
export async function appFromHandlers(dir: string, name = "mailroom", logger?: Logger): Promise<App> {
  const definitions = await loadHandlers(dir);
  return registerAll(createApp({ name, logger }), definitions);
}

async function importDefault(path: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as typeof mod;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint =
      e.code === "ERR_UNKNOWN_FILE_EXTENSION"
        ? " (TypeScript handler files need Node 22.18+ or 24, which run .ts files directly)"
        : e.code === "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX"
          ? " (Node runs TypeScript by stripping types: enums, namespaces and parameter properties are not supported)"
          : "";
    throw new CliError(
      `cannot load handler file ${shown(path)}: ${e.message?.split("\n")[0] ?? String(e)}${hint}`,
      {
        cause: error,
      },
    );
  }
  if (!("default" in mod)) {
    throw new CliError(`${shown(path)} has no default export; ${EXPECTED_SHAPE}`);
  }
  return mod.default;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array whose items are not all handler definitions";
  if (typeof value === "function") return `a function (${value.name || "anonymous"}), not a definition`;
  if (typeof value === "object") return `an object without kind "mailroom.handler"`;
  return `a ${typeof value}`;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}
