// What one chaos run sends and when it strikes, decided up front from a seed so a run can be
// repeated exactly (`--seed`).

/** Handler names of the chaos app: the same work without and with the idempotency middleware. */
export const PLAIN = "chaos_plain";
export const IDEMPOTENT = "chaos_idem";

/** One message the run publishes through Mailroom. */
export interface ChaosItem {
  /** Position in the run; also the side effect's unique key (`item-<n>`). */
  n: number;
  /** The envelope id it is published with. */
  id: string;
  name: typeof PLAIN | typeof IDEMPOTENT;
  /** Fails its first run (a transient error), then succeeds. */
  transient: boolean;
}

/** One body no handler can run: dead-lettered on first delivery, found again by its marker. */
export interface PoisonBody {
  /** `chaos-poison-<n>` appears in the body, also in the dead-letter queue's copy. */
  marker: string;
  bytes: Uint8Array;
  /** What the body is, for the report. */
  kind: string;
}

/** Something the runner does to the system once progress passes `at` (0..1 of the good messages). */
export interface ChaosEvent {
  at: number;
  kind: "kill" | "restart-broker" | "stall-broker";
}

/** The whole plan of one run. */
export interface ChaosPlan {
  items: ChaosItem[];
  poison: PoisonBody[];
  events: ChaosEvent[];
}

/** mulberry32: a small seeded generator, enough to spread failures and events reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of `planRun`. */
export interface PlanOptions {
  /** Messages in all, poison included. */
  count: number;
  seed: number;
  /** Share of the messages whose first run throws. Default 0.05. */
  transientShare?: number;
  /** Share of the messages that are poison bodies. Default 0.01. */
  poisonShare?: number;
  /** Worker kills (kill -9). Default 3. */
  kills?: number;
  /** Whether the transport has a broker the runner can restart / stall. */
  restartBroker: boolean;
  stallBroker: boolean;
  /** Whether the transport can carry bytes that are not UTF-8 (SQS and MNS text bodies cannot). */
  binaryBodies: boolean;
  /** Prefix of the envelope ids, unique per run. */
  idPrefix: string;
}

/**
 * Decide the messages (which fail once, which are poison, which go through idempotency) and
 * the points at which workers are killed and the broker restarted or stalled.
 */
export function planRun(options: PlanOptions): ChaosPlan {
  const random = seededRandom(options.seed);
  const poisonCount = Math.round(options.count * (options.poisonShare ?? 0.01));
  const goodCount = options.count - poisonCount;
  const transientCount = Math.round(options.count * (options.transientShare ?? 0.05));
  const transient = new Set(pick(random, goodCount, Math.min(transientCount, goodCount)));
  const items: ChaosItem[] = [];
  for (let n = 0; n < goodCount; n++) {
    items.push({
      n,
      id: `${options.idPrefix}-${n}`,
      name: n % 2 === 0 ? PLAIN : IDEMPOTENT,
      transient: transient.has(n),
    });
  }
  const poison = Array.from({ length: poisonCount }, (_, i) => poisonBody(i, options.binaryBodies));
  // Kills between 10% and 60% of the run, the broker's turn between 60% and 90%: a restart takes
  // seconds, and kills planned after it could find the work already done.
  const events: ChaosEvent[] = Array.from({ length: options.kills ?? 3 }, () => ({
    kind: "kill" as const,
    at: 0.1 + random() * 0.5,
  }));
  if (options.restartBroker) events.push({ kind: "restart-broker", at: 0.6 + random() * 0.3 });
  if (options.stallBroker) events.push({ kind: "stall-broker", at: 0.6 + random() * 0.3 });
  events.sort((a, b) => a.at - b.at);
  return { items, poison, events };
}

/** `count` distinct numbers below `range`, chosen at random. */
function pick(random: () => number, range: number, count: number): number[] {
  const all = Array.from({ length: range }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (range - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

const text = (s: string) => new TextEncoder().encode(s);

/**
 * The conformance kit's poison corpus, each body carrying its marker: bad JSON, no name, an
 * unknown name, a `__proto__` key, nesting deeper than the codec allows and, where the
 * transport can carry it, bytes that are not UTF-8.
 */
export function poisonBody(i: number, binaryBodies: boolean): PoisonBody {
  const marker = `chaos-poison-${i}`;
  const kinds = binaryBodies ? 6 : 5;
  switch (i % kinds) {
    case 0:
      return { marker, kind: "not JSON", bytes: text(`{"name":"${PLAIN}","data":{"m":"${marker}"`) };
    case 1:
      return { marker, kind: "no name", bytes: text(`{"data":{"m":"${marker}"}}`) };
    case 2:
      return { marker, kind: "unknown name", bytes: text(`{"name":"chaos_nobody","data":"${marker}"}`) };
    case 3:
      return {
        marker,
        kind: "__proto__ key",
        bytes: text(`{"name":"${PLAIN}","data":{"m":"${marker}","__proto__":{"admin":true}}}`),
      };
    case 4:
      return {
        marker,
        kind: "too deep",
        bytes: text(`{"name":"${PLAIN}","data":{"m":"${marker}","d":${"[".repeat(100)}${"]".repeat(100)}}}`),
      };
    default:
      return { marker, kind: "not UTF-8", bytes: new Uint8Array([...text(`${marker} `), 0xc3, 0x28, 0xff]) };
  }
}
