import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { onInterrupt } from "../interrupt.ts";

const entry = fileURLToPath(new URL("./emulator-process.ts", import.meta.url));

/**
 * An SQS emulator (fauxqs) or the MNS test server in a child process, so it can be stalled with
 * SIGSTOP. Neither is restarted: both keep their queues in memory, and a restart would be a new,
 * empty broker. (fauxqs 2.4.1 can keep its state on disk with `dataDir`, but then answers every
 * ChangeMessageVisibility of a message in flight with ReceiptHandleIsInvalid, so retries,
 * heartbeats and dead-letter listings fail; measured while writing this runner.)
 */
export class EmulatorProcess {
  readonly kind: "sqs" | "mns";
  #child: ChildProcess | undefined;
  #endpoint = "";

  private constructor(kind: "sqs" | "mns") {
    this.kind = kind;
  }

  static async start(kind: "sqs" | "mns"): Promise<EmulatorProcess> {
    const emulator = new EmulatorProcess(kind);
    await emulator.#spawn();
    return emulator;
  }

  /** `http://127.0.0.1:<port>`. */
  get endpoint(): string {
    return this.#endpoint;
  }

  /** Freeze it for `ms` (SIGSTOP), then let it run again (SIGCONT). */
  async stall(ms: number): Promise<void> {
    const child = this.#child!;
    child.kill("SIGSTOP");
    try {
      await sleep(ms);
    } finally {
      child.kill("SIGCONT");
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async #spawn(): Promise<void> {
    const args = ["--conditions=@mailroom/source", "--no-warnings", entry, this.kind];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    this.#child = child;
    const forget = onInterrupt(() => {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    });
    child.once("exit", forget);
    let seen = "";
    const ready = new Promise<string>((resolve) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        seen += chunk.toString("utf8");
        const line = seen.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve((JSON.parse(line) as { endpoint: string }).endpoint);
      });
    });
    const failed = once(child, "exit").then(([code]) => {
      throw new Error(`the ${this.kind} emulator exited with code ${code} while starting`);
    });
    this.#endpoint = await Promise.race([ready, failed]);
    failed.catch(() => {});
  }
}
