// One SQS consumer run in its own process, so its CPU figure is its own.
//   node --conditions=@mailroom/source bench/sqs/consumer.ts <scenario JSON> <endpoint> <queue> <count>
// Prints one JSON line: the RunResult.
import { mailroom, sqsConsumer } from "./consumers.ts";
import { credentials } from "./shared.ts";

/** What a scenario runs: Mailroom's Worker with Worker options, or sqs-consumer in a mode. */
export type Scenario =
  | { kind: "mailroom"; label: string; options?: { concurrency?: number; receivers?: number } }
  | { kind: "sqs-consumer"; label: string; mode: "batch" | "single"; batchSize?: number; instances?: number };

if (import.meta.main) {
  credentials();
  const [scenarioText, endpoint, queue, countText] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
  ];
  const s = JSON.parse(scenarioText) as Scenario;
  const count = Number(countText);
  const result =
    s.kind === "mailroom"
      ? await mailroom(s.label, endpoint, queue, s.options ?? {}, count)
      : await sqsConsumer(
          s.label,
          endpoint,
          queue,
          { mode: s.mode, batchSize: s.batchSize, instances: s.instances },
          count,
        );
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
