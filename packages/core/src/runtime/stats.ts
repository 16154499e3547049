import type { Outcome } from "./outcome.ts";

/** Counters a Worker keeps; `/metrics` and `mailroom run` report them. */
export class WorkerStats {
  received = 0;
  acked = 0;
  retried = 0;
  deadLettered = 0;
  deferred = 0;
  released = 0;
  extended = 0;
  receiveErrors = 0;
  settleErrors = 0;
  /** Times the source lost its connection and got it back. */
  reconnects = 0;
  /** Epoch ms of the last receive that completed (with or without messages). */
  lastReceiveAt = 0;
  /** Epoch ms of the last message settled. */
  lastSettledAt = 0;

  count(outcome: Outcome): void {
    switch (outcome.kind) {
      case "ack":
        this.acked++;
        break;
      case "retry":
        this.retried++;
        break;
      case "deadLetter":
        this.deadLettered++;
        break;
      case "defer":
        this.deferred++;
        break;
      case "release":
      case "skipped":
        this.released++;
        break;
    }
  }

  /** Prometheus text exposition of the counters. */
  toPrometheus(labels: Record<string, string> = {}): string {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
      .join(",");
    const lb = l ? `{${l}}` : "";
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}${lb} ${value}`);
    counter("mailroom_messages_received_total", "Messages received.", this.received);
    counter("mailroom_messages_acked_total", "Messages handled and acknowledged.", this.acked);
    counter("mailroom_messages_retried_total", "Handler failures scheduled for retry.", this.retried);
    counter(
      "mailroom_messages_dead_lettered_total",
      "Messages sent to the dead-letter destination.",
      this.deadLettered,
    );
    counter(
      "mailroom_messages_deferred_total",
      "Messages re-delayed before their not-before time.",
      this.deferred,
    );
    counter(
      "mailroom_visibility_extensions_total",
      "Visibility heartbeats sent for long handlers.",
      this.extended,
    );
    counter("mailroom_receive_errors_total", "Receive calls that failed.", this.receiveErrors);
    counter(
      "mailroom_settle_errors_total",
      "Ack / retry / dead-letter calls that failed.",
      this.settleErrors,
    );
    counter(
      "mailroom_reconnects_total",
      "Times the transport connection was lost and regained.",
      this.reconnects,
    );
    lines.push(
      "# HELP mailroom_last_receive_timestamp_seconds When a receive last completed.",
      "# TYPE mailroom_last_receive_timestamp_seconds gauge",
      `mailroom_last_receive_timestamp_seconds${lb} ${(this.lastReceiveAt / 1000).toFixed(3)}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
