// A private RabbitMQ node for one chaos run: its own node name, ports, data folder and cookie,
// so restarting and stalling it never touches the shared broker of scripts/services.sh (whose
// node other test files use at the same time). Started from the Debian package's scripts under
// /usr/lib/rabbitmq/bin as the current user, with HOME in the data folder (the node and
// rabbitmqctl share the Erlang cookie there).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { onInterrupt } from "../interrupt.ts";

const BIN = process.env.MAILROOM_RABBITMQ_BIN ?? "/usr/lib/rabbitmq/bin";
const run = promisify(execFile);

/** A RabbitMQ node this process started and owns. */
export class PrivateRabbitNode {
  readonly port: number;
  readonly nodeName: string;
  readonly #dir: string;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;

  private constructor(dir: string, port: number, distPort: number, nodeName: string) {
    this.port = port;
    this.nodeName = nodeName;
    this.#dir = dir;
    mkdirSync(join(dir, "mnesia"), { recursive: true });
    mkdirSync(join(dir, "log"), { recursive: true });
    writeFileSync(join(dir, "rabbitmq-env.conf"), "");
    writeFileSync(join(dir, "enabled_plugins"), "[].\n");
    writeFileSync(
      join(dir, "rabbitmq.conf"),
      `listeners.tcp.default = 127.0.0.1:${port}\nloopback_users.guest = true\n`,
    );
    this.#env = {
      ...process.env,
      HOME: dir,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
      RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
      RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(dir, "log"),
      RABBITMQ_PID_FILE: join(dir, "node.pid"),
      ERL_EPMD_ADDRESS: "127.0.0.1",
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    };
  }

  /** Start a node with its data in `dir` (which must be empty or a previous node's). */
  static async start(dir: string, name: string): Promise<PrivateRabbitNode> {
    const port = await freePort();
    const distPort = await freePort();
    const node = new PrivateRabbitNode(dir, port, distPort, `${name}@localhost`);
    await node.#boot();
    return node;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>`. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /**
   * Restart the broker: `stop_app` (every connection dropped, queues and message store closed)
   * and `start_app` (queues recovered from disk); resolves once it serves clients. The Erlang VM
   * stays up, which saves the VM's boot (15–25 s on a small machine).
   */
  async restart(): Promise<void> {
    await this.#ctl("stop_app");
    await this.#ctl("start_app");
    await this.#ctl("await_startup", "--timeout", "60");
  }

  /** Freeze the Erlang VM for `ms` (SIGSTOP), then let it run again (SIGCONT). */
  async stall(ms: number): Promise<void> {
    const pid = Number(readFileSync(join(this.#dir, "node.pid"), "utf8").trim());
    process.kill(pid, "SIGSTOP");
    try {
      await sleep(ms);
    } finally {
      process.kill(pid, "SIGCONT");
    }
  }

  /** Stop the node for good. */
  async stop(): Promise<void> {
    await this.#shutdown().catch(() => {});
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill("SIGKILL");
      await once(this.#child, "exit");
    }
  }

  async #boot(): Promise<void> {
    const child = spawn(join(BIN, "rabbitmq-server"), [], {
      env: this.#env,
      cwd: this.#dir,
      stdio: "ignore",
    });
    this.#child = child;
    // The script's child is the Erlang VM (its pid in the pid file): it must go too.
    const forget = onInterrupt(() => {
      child.kill("SIGKILL");
      const pid = Number(readFileSync(join(this.#dir, "node.pid"), "utf8").trim());
      process.kill(pid, "SIGCONT");
      process.kill(pid, "SIGKILL");
    });
    child.once("exit", forget);
    const failed = once(child, "exit").then(([code]) => {
      throw new Error(
        `the private RabbitMQ node exited with code ${code} while starting (logs: ${this.#dir}/log)`,
      );
    });
    failed.catch(() => {});
    const deadline = Date.now() + 120_000;
    for (;;) {
      const up = await this.#ctl("await_startup", "--timeout", "2").then(
        () => true,
        () => false,
      );
      if (up) return;
      await Promise.race([sleep(250), failed]);
      if (Date.now() > deadline)
        throw new Error(`the private RabbitMQ node did not start within 120 s (logs: ${this.#dir}/log)`);
    }
  }

  async #shutdown(): Promise<void> {
    const child = this.#child;
    await this.#ctl("shutdown");
    if (child && child.exitCode === null && child.signalCode === null) await once(child, "exit");
  }

  #ctl(...args: string[]) {
    return run(join(BIN, "rabbitmqctl"), ["-n", this.nodeName, "-q", ...args], {
      env: this.#env,
      timeout: 60_000,
    });
  }
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
