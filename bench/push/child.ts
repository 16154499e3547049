// One push contender alone in its process: warm up, then time `samples` runs of `iterations`
// events each. Prints one JSON line: { name, samples: µs per record }.
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

async function timeRun(): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await handler(events[i % events.length]);
  return ((performance.now() - t0) * 1000) / (iterations * BATCH);
}

// Warm-up: the JIT settles within a few thousand events.
for (let i = 0; i < 3; i++) await timeRun();
const samples: number[] = [];
for (let i = 0; i < Number(samplesText); i++) {
  if (fresh) for (let k = 0; k < events.length; k++) events[k] = contender.event();
  samples.push(await timeRun());
}
process.stdout.write(`${JSON.stringify({ name, samples })}\n`);
