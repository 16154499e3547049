import { relative } from "node:path";
import type { BuiltFunction } from "./spec.ts";

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The dependencies of core counted with it: what `@mailroom/core` pulls into every bundle. */
const CORE_DEPENDENCIES =
  /^(pino|pino-std-serializers|sonic-boom|thread-stream|safe-stable-stringify|quick-format-unescaped|on-exit-leak-free|atomic-sleep|@pinojs\/redact|@opentelemetry\/api|@standard-schema\/spec)$/;

/**
 * A built function's bytes by group: Mailroom (core, the adapter, the function's glue), core's
 * dependencies, the handlers with theirs (zod), and everything else of the artefact (other
 * bundled packages, an SDK shipped beside the bundle, esbuild's glue, package.json files).
 */
export function sizeGroups(built: BuiltFunction): SizeGroups {
  const groups = { mailroom: 0, coreDeps: 0, handlers: 0, other: 0 };
  for (const [pkg, bytes] of built.byPackage) {
    if (built.spec.corePackages.includes(pkg) || pkg === "function") groups.mailroom += bytes;
    else if (CORE_DEPENDENCIES.test(pkg)) groups.coreDeps += bytes;
    else if (pkg === "handlers" || pkg === "zod") groups.handlers += bytes;
  }
  groups.other = built.bytes - groups.mailroom - groups.coreDeps - groups.handlers;
  return groups;
}

/** Bytes of one artefact by group (see `sizeGroups`). */
export interface SizeGroups {
  mailroom: number;
  coreDeps: number;
  handlers: number;
  other: number;
}

/**
 * The size table the build prints: per artefact its zip, the unpacked files, and the minified
 * JavaScript split into Mailroom (core + the adapter + the function's glue), core's own
 * dependencies (pino, OpenTelemetry's API), the handlers with their dependencies (zod), and the
 * rest (a bundled SDK). Sizes are bytes on disk; KB is 1,024 bytes.
 */
export function sizeTable(built: BuiltFunction[], root: string): string {
  const header = [
    "artefact",
    "runs on",
    "zip",
    "unpacked",
    "core + adapter",
    "core's deps",
    "handlers",
    "other",
  ];
  const rows = built.map((b) => {
    const g = sizeGroups(b);
    return [
      relative(root, b.zip),
      b.spec.runtime,
      kb(b.zipBytes),
      kb(b.bytes),
      kb(g.mailroom),
      kb(g.coreDeps),
      kb(g.handlers),
      kb(g.other),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
