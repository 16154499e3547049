// What a cloud function's cold start loads: the function entries and @mailroom/core must not
// load pino, the OpenTelemetry API, node:sqlite, the AWS SDK or the MNS SDK until they are used.
// Each import runs in a fresh Node process that records every module it loads.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Module URLs a fresh process loads while it runs `code` (from the repository root, where every package is linked). */
async function loadedBy(code: string): Promise<{ modules: string[]; stdout: string; stderr: string }> {
  const script = `
import { registerHooks } from "node:module";
const modules = [];
registerHooks({ load(url, context, next) { modules.push(url); return next(url, context); } });
${code}
process.stdout.write("\\n" + JSON.stringify(modules));
`;
  const { stdout, stderr } = await run(
    process.execPath,
    ["--conditions=@mailroom/source", "--input-type=module", "-e", script],
    { cwd: ROOT, env: { ...process.env, MAILROOM_LOG_LEVEL: "info" } },
  );
  const lines = stdout.trimEnd().split("\n");
  return { modules: JSON.parse(lines.pop()!) as string[], stdout: lines.join("\n"), stderr };
}

const LAZY = [/\/pino\//, /@opentelemetry/, /^node:sqlite$/, /@aws-sdk/, /@alicloud/, /^node:http$/];

describe("cold start", () => {
  it("importing @mailroom/core and the Lambda and FC entries loads no logger, tracer, SQLite, HTTP server or provider SDK", async () => {
    const { modules } = await loadedBy(`
await import("@mailroom/core");
await import("@mailroom/adapter-sqs/lambda");
await import("@mailroom/adapter-mns/fc");`);
    expect(modules.some((m) => m.includes("adapter-sqs"))).toBe(true);
    expect(modules.filter((m) => LAZY.some((pattern) => pattern.test(m)))).toEqual([]);
  });

  it("the default logger writes the lines logged while pino loads, in order, and logsWritten resolves after them", async () => {
    const { stderr, stdout } = await loadedBy(`
const { defaultLogger, logsPending, logsWritten } = await import("@mailroom/core");
const logger = defaultLogger("cold");
logger.debug({ n: 0 }, "below the level: never written, never loads pino");
const pendingBefore = logsPending();
logger.info({ n: 1 }, "first");
logger.child({ messageId: "m-1" }).warn({ n: 2 }, "second");
const pendingAfter = logsPending();
await logsWritten();
process.stdout.write(JSON.stringify({ pendingBefore, pendingAfter, pendingAtEnd: logsPending() }));`);
    expect(JSON.parse(stdout)).toEqual({ pendingBefore: false, pendingAfter: true, pendingAtEnd: false });
    const lines = stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; n: number; messageId?: string; name: string });
    expect(lines.map((l) => [l.msg, l.n, l.messageId])).toEqual([
      ["first", 1, undefined],
      ["second", 2, "m-1"],
    ]);
    expect(lines[0]!.name).toBe("cold");
  });
});
