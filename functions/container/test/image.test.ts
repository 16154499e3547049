import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/build-function.ts";
import { envOf, execForm, type Instruction, parseDockerfile } from "./dockerfile.ts";

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, "functions/container/Dockerfile"), "utf8"));
const finalStage = Math.max(...dockerfile.map((i) => i.stage));
const final = (keyword: string): Instruction[] =>
  dockerfile.filter((i) => i.stage === finalStage && i.keyword === keyword);
const one = (keyword: string): string => {
  const found = final(keyword);
  expect(found, `one ${keyword} in the final stage`).toHaveLength(1);
  return found[0]!.args;
};

/** Where a path of the image comes from in this repository, by the Dockerfile's own COPY lines. */
function repoPathOf(imagePath: string): string {
  for (const copy of final("COPY").filter((c) => !c.args.startsWith("--from"))) {
    const [source, target] = copy.args.split(/\s+/) as [string, string];
    if (imagePath === target || imagePath.startsWith(`${target}/`)) {
      return join(REPO_ROOT, source, imagePath.slice(target.length));
    }
  }
  // Everything else of /app is the build stage's copy of the repository (packages, node_modules).
  return join(REPO_ROOT, imagePath.replace(/^\/app\/?/, ""));
}

describe("functions/container/Dockerfile", () => {
  it("builds in stages and runs as the unprivileged node user, draining on SIGTERM", () => {
    expect(finalStage).toBeGreaterThanOrEqual(1);
    expect(final("COPY").some((c) => c.args.startsWith("--from=build "))).toBe(true);
    expect(one("USER")).toBe("node");
    expect(one("STOPSIGNAL")).toBe("SIGTERM");
  });

  it("copies only paths that exist, installs the container workspace, and builds every package the image runs", () => {
    for (const copy of dockerfile.filter((c) => c.keyword === "COPY" && !c.args.startsWith("--from"))) {
      const [source] = copy.args.split(/\s+/);
      expect(existsSync(join(REPO_ROOT, source!)), `COPY source ${source}`).toBe(true);
    }
    const run = dockerfile
      .filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join("\n");
    const container = JSON.parse(readFileSync(join(REPO_ROOT, "functions/container/package.json"), "utf8"));
    expect(run).toContain(`--workspace ${container.name}`);
    // Every @mailroom package the container depends on is built and copied into the image.
    for (const dep of Object.keys(container.dependencies).filter((d) => d.startsWith("@mailroom/"))) {
      const dir = dep.slice("@mailroom/".length);
      expect(run, `tsc -b packages/${dir}`).toMatch(new RegExp(`tsc -b [^&]*packages/${dir}\\b`));
      expect(run, `copies packages/${dir}`).toMatch(new RegExp(`for p in [^;]*\\b${dir}\\b`));
    }
  });

  it("installs an adapter for every transport package this repository has, so one image runs any transport URL", () => {
    const container = JSON.parse(readFileSync(join(REPO_ROOT, "functions/container/package.json"), "utf8"));
    const root = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      workspaces: string[];
    };
    const adapters = root.workspaces.filter((w) => w.startsWith("packages/adapter-"));
    for (const adapter of adapters) {
      const name = JSON.parse(readFileSync(join(REPO_ROOT, adapter, "package.json"), "utf8")).name as string;
      expect(container.dependencies, `functions/container/package.json depends on ${name}`).toHaveProperty(
        name,
      );
    }
  });

  describe("its entrypoint and health check, run from this repository as the image lays it out", () => {
    let worker: ChildProcess | undefined;
    let dir: string | undefined;
    afterAll(async () => {
      if (worker && worker.exitCode === null && worker.signalCode === null) {
        worker.kill("SIGKILL");
        await new Promise((resolve) => worker!.once("exit", resolve));
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("mailroom run serves /healthz to the HEALTHCHECK command and exits 0 on SIGTERM", async () => {
      dir = await mkdtemp(join(tmpdir(), "mailroom-image-"));
      const [node, ...entry] = execForm(one("ENTRYPOINT"));
      expect(node).toBe("node");
      expect(entry.slice(1, 2)).toEqual(["run"]);
      const args = entry.map((a) => (a.startsWith("/app") ? repoPathOf(a) : a));
      expect(existsSync(args[0]!), `${args[0]} (the CLI, built by npm ci's prepare)`).toBe(true);
      // docker run -e: a free port and loopback here instead of the image's 8080 on every interface.
      const env = {
        ...envOf(dockerfile, finalStage),
        PATH: process.env.PATH ?? "",
        MAILROOM_HEALTH_HOST: "127.0.0.1",
        MAILROOM_HEALTH_PORT: "0",
        MAILROOM_TRANSPORT: `sqlite:${join(dir, "queue.db")}`,
      };
      worker = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      const port = await new Promise<string>((resolve, reject) => {
        worker!.stderr!.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = /health: http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(stderr);
          // The banner prints once the transport answered: the worker is receiving.
          if (found && /mailroom run: .* until SIGTERM/.test(stderr)) resolve(found[1]!);
        });
        worker!.once("exit", (code) => reject(new Error(`worker exited ${code}:\n${stderr}`)));
      });

      const [, ...check] = one("HEALTHCHECK").split(/\s+CMD\s+/) as [string, string];
      const [checkNode, ...checkArgs] = execForm(check.join(" CMD "));
      expect(checkNode).toBe("node");
      const health = spawnSync(process.execPath, checkArgs, {
        env: { ...env, MAILROOM_HEALTH_PORT: port },
        timeout: 5_000,
      });
      expect(health.status, "HEALTHCHECK exit code").toBe(0);

      const exit = new Promise<number | null>((resolve) => worker!.once("exit", resolve));
      worker.kill("SIGTERM");
      expect(await exit).toBe(0);
    });
  });
});
