// The worker's per-minute summary line reaches the log at the CLI's default log level (warn):
// a human line with MAILROOM_PRETTY=1, else a JSON line for the log collector.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, examples, started, workdir } from "./helpers.ts";

describe("mailroom run's summary line", () => {
  for (const pretty of ["1", "0"]) {
    it(`is printed every MAILROOM_SUMMARY_INTERVAL at the default log level (MAILROOM_PRETTY=${pretty})`, async () => {
      const { dir, queue } = workdir();
      const sent = await cli(["send", "-", `@${examples}/data-all.json`, "--transport", queue], { cwd: dir });
      expect(sent.code, sent.stderr).toBe(0);
      const run = started(["run", "--handlers", join(examples, "handlers"), "--transport", queue], {
        cwd: dir,
        env: { MAILROOM_SUMMARY_INTERVAL: "1s", MAILROOM_PRETTY: pretty },
      });
      // The messages are handled in the first interval: wait for a summary that counts them.
      let stderr = await run.stderrIncludes("summary 1 s: consumed");
      for (let i = 0; i < 50 && !/consumed [1-9]/.test(stderr); i++) {
        await new Promise((r) => setTimeout(r, 100));
        stderr = await run.stderrIncludes("summary 1 s: consumed");
      }
      run.child.kill("SIGTERM");
      expect((await run.done).code).toBe(0);
      const line = stderr.split("\n").find((l) => /summary 1 s: consumed [1-9]/.test(l));
      expect(line, stderr).toBeDefined();
      if (pretty === "1") {
        expect(line).toMatch(
          /^· summary 1 s: consumed \d+, acked \d+, failed \d+, dead-lettered \d+, CPU [\d.]+%, RSS \d+ MB, host \S+$/,
        );
      } else {
        const json = JSON.parse(line!) as Record<string, unknown>;
        expect(json).toMatchObject({ level: 30, intervalS: 1, msg: expect.stringMatching(/^summary 1 s: /) });
        expect(json.consumed).toBeGreaterThan(0);
        expect(typeof json.rssMb).toBe("number");
      }
    }, 60_000);
  }
});
