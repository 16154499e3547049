import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../lib/build-function.ts";

const out = await mkdtemp(join(tmpdir(), "mailroom-functions-build-"));
afterAll(() => rm(out, { recursive: true, force: true }));

describe("npm run functions:build", () => {
  it("builds every function's zip in one command and prints a size table with a row for each", () => {
    const run = spawnSync(
      process.execPath,
      ["--conditions=@mailroom/source", "functions/build.ts", "--out", out],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const name of ["aws-lambda-sqs", "aliyun-fc-mns", "azure-queue"]) {
      expect(existsSync(join(out, `${name}.zip`))).toBe(true);
      expect(run.stdout).toMatch(new RegExp(`${name}\\.zip .* KB`));
    }
    expect(run.stdout).toMatch(/core \+ adapter/);
  });

  it("refuses a function name it does not know, naming the known ones", () => {
    const run = spawnSync(
      process.execPath,
      ["--conditions=@mailroom/source", "functions/build.ts", "--out", out, "gcp"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown function gcp; known: aws-lambda-sqs, aliyun-fc-mns, azure-queue/);
  });
});
