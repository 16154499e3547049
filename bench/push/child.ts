// One push contender alone in its process: warm up, then time `samples` runs of `iterations`
// events each. Prints one JSON line: { name, samples: CPU µs per record }.
//   node --conditions=@mailroom/source bench/push/child.ts <contender> <iterations> <samples>
import { BATCH, type ContenderName, contenders } from "./contenders.ts";

const [name, iterationsText, samplesText] = process.argv.slice(2) as [ContenderName, string, string];
const contender = contenders[name];
if (!contender) throw new Error(`unknown contender ${name}; one of ${Object.keys(contenders).join(", ")}`);
const iterations = Number(iterationsText);
const handler = contender.make();
// Events are made before timing. FC events are fresh per call, as FC sends them (the handler
// remembers finished message ids); a Lambda event is reused from a small pool.
const fresh = name.startsWith("fc-");
const events = Array.from({ length: fresh ? iterations : 64 }, () => contender.event());

/**
 * CPU time per record (the whole process's, GC threads included): on a shared machine it counts
 * only the time this process ran, not the time it waited for a core.
 */
async function timeRun(): Promise<number> {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await handler(events[i % events.length]);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / (iterations * BATCH);
}

// Warm-up: the JIT settles within a few thousand events.
for (let i = 0; i < 3; i++) await timeRun();
const samples: number[] = [];
for (let i = 0; i < Number(samplesText); i++) {
  if (fresh) for (let k = 0; k < events.length; k++) events[k] = contender.event();
  samples.push(await timeRun());
}
process.stdout.write(`${JSON.stringify({ name, samples })}\n`);
