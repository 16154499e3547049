import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { onInterrupt } from "../interrupt.ts";

/** How to start a broker that runs as one process of its own on a port of its own. */
export interface ServerCommand {
  /** What to call it in errors. */
  name: string;
  /** The program and arguments for a given port. */
  command(port: number): { file: string; args: string[]; cwd?: string };
}

/**
 * A broker in one child process on a loopback port this run picked (a private redis-server,
 * Azurite): stalled with SIGSTOP, restarted on the same port with its data kept (SIGTERM, the
 * broker's clean stop, then start again).
 */
export class ServerProcess {
  readonly port: number;
  readonly #spec: ServerCommand;
  #child: ChildProcess | undefined;

  private constructor(spec: ServerCommand, port: number) {
    this.#spec = spec;
    this.port = port;
  }

  static async start(spec: ServerCommand): Promise<ServerProcess> {
    const server = new ServerProcess(spec, await freePort());
    await server.#spawn();
    return server;
  }

  /** Stop it cleanly and start it again on the same port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.stop();
    await this.#spawn();
  }

  /** Freeze it for `ms` (SIGSTOP), then let it run again (SIGCONT). */
  async stall(ms: number): Promise<void> {
    this.#child!.kill("SIGSTOP");
    try {
      await sleep(ms);
    } finally {
      this.#child!.kill("SIGCONT");
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async #spawn(): Promise<void> {
    const { file, args, cwd } = this.#spec.command(this.port);
    const child = spawn(file, args, { cwd, stdio: "ignore" });
    this.#child = child;
    const forget = onInterrupt(() => {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    });
    child.once("exit", forget);
    const deadline = Date.now() + 60_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null)
        throw new Error(`${this.#spec.name} exited with code ${child.exitCode} while starting`);
      if (Date.now() > deadline)
        throw new Error(`${this.#spec.name} did not listen on ${this.port} within 60 s`);
      await sleep(100);
    }
  }
}

/** True once something accepts a connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
