import type { DeadLetter, Transport } from "@mailroom/core";

/**
 * One transport the chaos runner can strike: a small entry per transport. `start` brings up what
 * the transport needs for one run (a private broker, an emulator process, a temp file) and says
 * how workers reach it.
 */
export interface ChaosTarget {
  /** Shown in the table and chosen with `--targets`. */
  readonly name: string;
  start(context: TargetContext): Promise<TargetSession>;
}

/** What the runner gives a target for one run. */
export interface TargetContext {
  /** A folder of this run, removed afterwards. */
  dir: string;
  /** Unique per run: queue names are made from it. */
  runId: string;
  /** Visibility timeout to give the queue, ms: how soon a killed worker's messages come back. */
  visibilityMs: number;
  /** Progress lines for the operator. */
  log(line: string): void;
}

/** How workers reach the transport. */
export type WorkerPlacement =
  /** Separate processes: `openTransport(url)` from `@mailroom/core` with `env` added. */
  | { kind: "process"; url: string; env: Record<string, string> }
  /**
   * In the runner's process (the memory queue lives in one process): a "kill" cuts the worker off
   * from its queue and its stores at once, as kill -9 would, instead of ending a process.
   */
  | { kind: "in-process"; open(): Promise<Transport> };

/** A broker the runner started itself and may restart or stall. */
export interface BrokerControl {
  /** Stop and start the broker (its data kept); resolves once it accepts clients again. */
  restart?(): Promise<void>;
  /** SIGSTOP the broker's process, wait `ms`, SIGCONT it. */
  stall?(ms: number): Promise<void>;
}

/** A target brought up for one run. */
export interface TargetSession {
  workers: WorkerPlacement;
  /** A transport for the runner: publishing, dead letters, depth. Closed by the runner. */
  open(): Promise<Transport>;
  /** Put raw bytes on the queue as a foreign producer would. */
  sendRaw(bytes: Uint8Array): Promise<void>;
  /** The queue's dead letters. Default: the runner's transport's `admin().listDeadLetters()`. */
  deadLetters?(): Promise<DeadLetter[]>;
  /** Whether bodies that are not UTF-8 can be sent (not on SQS, whose bodies are text). */
  binaryBodies: boolean;
  broker?: BrokerControl;
  /** Stop what `start` started and delete the queues. */
  stop(): Promise<void>;
}
