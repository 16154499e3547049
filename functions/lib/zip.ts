import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { unzipSync, type Zippable, zipSync } from "fflate";

/** Every file under `dir`, as zip paths (forward slashes) → absolute paths. */
async function filesOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = join(entry.parentPath, entry.name);
    out.set(relative(dir, abs).split(sep).join("/"), abs);
  }
  return out;
}

/**
 * Zip a directory's contents (its files at the archive root, as Lambda and Function Compute
 * expect), deflated, with a fixed time stamp so the same input gives the same bytes.
 */
export async function zipDirectory(dir: string): Promise<Uint8Array> {
  const files = await filesOf(dir);
  const entries: Zippable = {};
  for (const path of [...files.keys()].sort()) {
    const abs = files.get(path)!;
    const mode = (await stat(abs)).mode & 0o777;
    entries[path] = [
      await readFile(abs),
      { level: 9, mtime: new Date("2020-01-01T00:00:00Z"), attrs: (0o100000 | mode) << 16 },
    ];
  }
  return zipSync(entries);
}

/** The entries of a zip archive: path → bytes. */
export function unzip(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(bytes)));
}
