/**
 * Merge Prometheus text expositions of several processes into one: each sample gains the given
 * labels (e.g. `worker="2"`), and each metric family keeps one `# HELP` / `# TYPE` header with
 * all its samples under it, as the format requires.
 */
export function mergeMetrics(
  sources: ReadonlyArray<{ labels: Record<string, string>; text: string }>,
): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  const familyOf = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { header: [], samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const { labels, text } of sources) {
    const extra = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
      .join(",");
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const f = familyOf(meta[2]!);
        if (!f.header.some((h) => h.startsWith(`# ${meta[1]} `))) f.header.push(line);
        continue;
      }
      if (line.startsWith("#")) continue;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?(\s.*)$/.exec(line);
      if (!sample) continue;
      const [, name, braces, rest] = sample;
      const inner = braces ? braces.slice(1, -1) : "";
      const all = [extra, inner].filter(Boolean).join(",");
      familyOf(baseName(name!, families)).samples.push(`${name}{${all}}${rest}`);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) out.push(...f.header, ...f.samples);
  return `${out.join("\n")}\n`;
}

/** The family a sample belongs to: histogram and summary samples carry suffixes of their family's name. */
function baseName(name: string, families: Map<string, unknown>): string {
  if (families.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return name;
}
