/** Options of `mergeMetrics`. */
export interface MergeOptions {
  /**
   * Families every process reports the same figure of (e.g. `mailroom_queue_depth`: the workers
   * share the queue): their samples are kept from the first source that has any, without the
   * added labels, so that `sum()` does not count the figure once per process.
   */
  once?: readonly string[];
}

/**
 * Merge Prometheus text expositions of several processes into one: each sample gains the given
 * labels (e.g. `worker="2"`), and each metric family keeps one `# HELP` / `# TYPE` header with
 * all its samples under it, as the format requires.
 *
 * @example
 * mergeMetrics(
 *   [{ labels: { worker: "0" }, text: a }, { labels: { worker: "1" }, text: b }],
 *   { once: ["mailroom_queue_depth"] },
 * );
 */
export function mergeMetrics(
  sources: ReadonlyArray<{ labels: Record<string, string>; text: string }>,
  options: MergeOptions = {},
): string {
  const once = new Set(options.once ?? []);
  /** Which source the samples of a `once` family come from. */
  const owner = new Map<string, number>();
  const families = new Map<string, { header: string[]; samples: string[] }>();
  const familyOf = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { header: [], samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const [index, { labels, text }] of sources.entries()) {
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
      const sample = sampleLine(line);
      if (!sample) continue;
      const { name, labels: inner, rest } = sample;
      const family = baseName(name, families);
      if (once.has(family)) {
        if ((owner.get(family) ?? index) !== index) continue;
        owner.set(family, index);
        familyOf(family).samples.push(`${name}{${inner}}${rest}`);
        continue;
      }
      const all = [extra, inner].filter(Boolean).join(",");
      familyOf(family).samples.push(`${name}{${all}}${rest}`);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) out.push(...f.header, ...f.samples);
  return `${out.join("\n")}\n`;
}

/**
 * A sample line of Prometheus text: the metric name, the text inside its braces (label values are
 * quoted and may hold `}` or escaped quotes) and what follows them (the value, a timestamp).
 */
export function sampleLine(line: string): { name: string; labels: string; rest: string } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?(\s.*)$/.exec(line);
  return m ? { name: m[1]!, labels: m[2] ?? "", rest: m[3]! } : undefined;
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
