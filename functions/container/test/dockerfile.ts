/** One instruction of a Dockerfile: `COPY --from=build /app /app` → { keyword: "COPY", args: "--from=build /app /app" }. */
export interface Instruction {
  keyword: string;
  args: string;
  /** The build stage it belongs to (0 = the first FROM). */
  stage: number;
}

/**
 * Parse a Dockerfile into instructions: comments and blank lines dropped, `\` continuations
 * joined, keywords upper-cased. Enough to check what an image does without a Docker engine.
 */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let stage = -1;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    const space = whole.search(/\s/);
    const keyword = whole.slice(0, space).toUpperCase();
    if (keyword === "FROM") stage++;
    out.push({ keyword, args: whole.slice(space + 1).trim(), stage });
  }
  return out;
}

/** The JSON (exec) form of an instruction's arguments: `["node", "-e", "…"]`. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`not an exec form: ${args}`);
  }
  return parsed;
}

/** `ENV A=1 B=2` (every ENV of the stage) as a map. */
export function envOf(instructions: Instruction[], stage: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructions.filter((x) => x.keyword === "ENV" && x.stage === stage)) {
    for (const [, key, value] of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
      env[key!] = value!.replace(/^"|"$/g, "");
  }
  return env;
}
