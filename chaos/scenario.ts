import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DeadLetter, QueueDepth, Source, Transport } from "@mailroom/core";
import { Redis } from "ioredis";
import { type DeadLetterTally, lostOf, lostPoisonOf, reasonsOf, tallyDeadLetters } from "./accounting.ts";
import { EffectsTable } from "./effects.ts";
import { inProcessLauncher } from "./in-process.ts";
import { onInterrupt } from "./interrupt.ts";
import { type ChaosPlan, IDEMPOTENT, PLAIN, planRun, seededRandom } from "./plan.ts";
import { type PublishReport, publishPlan } from "./publish.ts";
import type { ChaosTarget, TargetSession } from "./targets/target.ts";
import { processLauncher, WorkerPool } from "./workers.ts";

/** Options of one chaos run on one transport. */
export interface ScenarioOptions {
  /** Messages in all (1% poison, 5% failing once). */
  count: number;
  seed: number;
  /** Worker processes competing for the queue. */
  workers: number;
  kills: number;
  /** How long the broker is stalled (SIGSTOP), ms. */
  stallMs: number;
  /** The run gives up (and counts what is missing as lost) after this long, ms. */
  timeoutMs: number;
  /** The queue's visibility timeout, ms. */
  visibilityMs: number;
  /** How long an idempotency claim of a killed worker holds, ms. */
  inProgressTtlMs: number;
  redisUrl: string;
  log(line: string): void;
}

/** What one run found. */
export interface ChaosResult {
  target: string;
  sent: number;
  /** Good messages whose side effect happened. */
  processed: number;
  /** Entries in the dead-letter queue. */
  deadLettered: number;
  /** Messages with neither a side effect nor a dead letter. */
  lost: number;
  lostSample: number[];
  /** Side effects done more than once, without and with the idempotency middleware. */
  duplicatesPlain: number;
  /**
   * Idempotent items repeated for another reason than the one below: the middleware failed
   * (goal: 0).
   */
  duplicatesIdempotent: number;
  /**
   * Idempotent items whose first effect was done by a worker that was then killed with kill -9,
   * and that ran again once the dead worker's claim expired: the kill landed after the handler's
   * effect and before the middleware wrote the key completed — a window no store outside the
   * effect's own transaction can close. Shown in the notes, not a goal.
   */
  duplicatesIdempotentAfterKill: number;
  /** Items of `duplicatesIdempotentAfterKill`, with the workers that did their effect. */
  repeatedAfterKill: string[];
  /** Good messages dead-lettered, and why. */
  wronglyDeadLettered: number;
  wrongReasons: string[];
  events: string[];
  unexpectedExits: string[];
  publish: PublishReport;
  /** What the queue still held at the end, where it can tell. */
  left: QueueDepth | undefined;
  finished: boolean;
  seconds: number;
}

/** Run the chaos scenario on one transport and account for every message. */
export async function runScenario(target: ChaosTarget, options: ScenarioOptions): Promise<ChaosResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const dir = mkdtempSync(join(tmpdir(), `mailroom-chaos-${target.name}-`));
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const keyPrefix = `mailroom:chaos:${runId}:`;
  const log = (line: string) => options.log(`${target.name}: ${line}`);
  const forgetDir = onInterrupt(() => rmSync(dir, { recursive: true, force: true }));
  const effects = new EffectsTable(join(dir, "effects.db"));
  let session: TargetSession | undefined;
  let transport: Transport | undefined;
  let pool: WorkerPool | undefined;
  try {
    session = await target.start({ dir, runId, visibilityMs: options.visibilityMs, log });
    transport = await session.open();
    const plan = planRun({
      count: options.count,
      seed: options.seed,
      kills: options.kills,
      restartBroker: session.broker?.restart !== undefined,
      stallBroker: session.broker?.stall !== undefined,
      binaryBodies: session.binaryBodies,
      idPrefix: runId,
    });
    const shared = { effectsPath: join(dir, "effects.db"), redisUrl: options.redisUrl, keyPrefix };
    const launcher =
      session.workers.kind === "process"
        ? processLauncher(
            { ...shared, inProgressTtlMs: options.inProgressTtlMs },
            session.workers.url,
            session.workers.env,
          )
        : inProcessLauncher({
            ...shared,
            open: session.workers.open,
            effects,
            inProgressTtlMs: options.inProgressTtlMs,
          });
    pool = new WorkerPool(launcher);
    await pool.start(options.workers);
    log(`${options.workers} workers up; publishing ${options.count} messages`);
    const sending = session.sendRaw.bind(session);
    const publishing = publishPlan(transport, plan, sending, deadline);
    publishing.catch(() => {});
    const events = await strike(plan, session, pool, effects, options, deadline, log);
    const publish = await publishing;
    const source = transport.source();
    const finished = await settleAll(plan, runId, session, transport, source, effects, deadline, log);
    await pool.stop();
    const dead = await finalDeadLetters(plan, runId, session, transport);
    const left = await source.depth?.().catch(() => undefined);
    return account(target.name, plan, effects, dead, {
      events,
      unexpectedExits: pool.unexpectedExits,
      publish,
      left,
      finished,
      seconds: (Date.now() - started) / 1000,
    });
  } finally {
    await pool?.stop(5_000).catch(() => {});
    await transport?.close().catch(() => {});
    await session?.stop().catch((error: unknown) => log(`stopping the target failed: ${String(error)}`));
    effects.close();
    await forgetKeys(options.redisUrl, keyPrefix);
    rmSync(dir, { recursive: true, force: true });
    forgetDir();
  }
}

/** Kill workers and restart / stall the broker as progress passes each planned point. */
async function strike(
  plan: ChaosPlan,
  session: TargetSession,
  pool: WorkerPool,
  effects: EffectsTable,
  options: ScenarioOptions,
  deadline: number,
  log: (line: string) => void,
): Promise<string[]> {
  const random = seededRandom(options.seed ^ 0x5eed);
  const done: string[] = [];
  for (const event of plan.events) {
    while (effects.distinct() < event.at * plan.items.length) {
      if (Date.now() > deadline) return [...done, `${event.kind} not reached before the deadline`];
      await sleep(50);
    }
    const at = `${Math.round((effects.distinct() / plan.items.length) * 100)}%`;
    const t0 = Date.now();
    if (event.kind === "kill") {
      const victim = await pool.killOne(random);
      done.push(`kill -9 ${victim} at ${at}`);
    } else if (event.kind === "restart-broker") {
      await session.broker!.restart!();
      done.push(`broker restarted at ${at} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } else {
      await session.broker!.stall!(options.stallMs);
      done.push(`broker stalled ${options.stallMs / 1000} s at ${at}`);
    }
    log(done.at(-1)!);
  }
  return done;
}

/**
 * Wait until every good message has its side effect or a dead letter, every poison body is in
 * the dead-letter queue and the queue is empty; false if the deadline came first.
 */
async function settleAll(
  plan: ChaosPlan,
  runId: string,
  session: TargetSession,
  transport: Transport,
  source: Source,
  effects: EffectsTable,
  deadline: number,
  log: (line: string) => void,
): Promise<boolean> {
  let dead: DeadLetterTally | undefined;
  let lastLook = 0;
  let lastSaid = Date.now();
  while (Date.now() < deadline) {
    const done = effects.distinct();
    const nearlyDone = done + (dead?.good.size ?? 0) >= plan.items.length;
    // Listing dead letters receives them on some transports: not more often than every 2 s.
    if ((nearlyDone && Date.now() - lastLook > 2_000) || Date.now() - lastLook > 5_000) {
      lastLook = Date.now();
      dead = tallyDeadLetters(plan, runId, await deadLettersOf(session, transport).catch(() => []));
      const missing = lostOf(plan, effects.done(), dead).length;
      const poison = lostPoisonOf(plan, dead);
      const depth = await source.depth?.().catch(() => undefined);
      const left = depth ? depth.ready + depth.delayed + depth.inFlight : 0;
      if (missing === 0 && poison === 0 && left === 0) return true;
      if (Date.now() - lastSaid > 15_000) {
        lastSaid = Date.now();
        const queue = depth
          ? `; queue: ${depth.ready} ready, ${depth.delayed} delayed, ${depth.inFlight} in flight`
          : "";
        log(`waiting for ${missing} messages and ${poison} poison bodies not accounted for yet${queue}`);
      }
    }
    await sleep(250);
  }
  return false;
}

/**
 * The dead-letter queue, read until every poison body shows or four reads were made, 1.5 s
 * apart, keeping what any read saw: listing a queue by receiving from it (MNS past 16 messages,
 * where a visibility can go no lower than 1 s) hides what it listed from a read right after.
 */
async function finalDeadLetters(
  plan: ChaosPlan,
  runId: string,
  session: TargetSession,
  transport: Transport,
): Promise<DeadLetterTally> {
  let seen: DeadLetterTally | undefined;
  for (let read = 0; read < 4; read++) {
    if (read > 0) await sleep(1_500);
    const tally = tallyDeadLetters(plan, runId, await deadLettersOf(session, transport));
    seen = seen ? unite(seen, tally) : tally;
    if (lostPoisonOf(plan, seen) === 0) break;
  }
  return seen!;
}

function unite(a: DeadLetterTally, b: DeadLetterTally): DeadLetterTally {
  return {
    poison: new Set([...a.poison, ...b.poison]),
    good: new Map([...a.good, ...b.good]),
    unknown: Math.max(a.unknown, b.unknown),
    total: Math.max(a.total, b.total),
  };
}

function deadLettersOf(session: TargetSession, transport: Transport): Promise<DeadLetter[]> {
  if (session.deadLetters) return session.deadLetters();
  const admin = transport.admin?.();
  if (!admin) throw new Error(`${transport.kind}: no admin() to read dead letters`);
  return admin.listDeadLetters({ limit: 100_000 });
}

function account(
  target: string,
  plan: ChaosPlan,
  effects: EffectsTable,
  dead: DeadLetterTally,
  rest: Pick<ChaosResult, "events" | "unexpectedExits" | "publish" | "left" | "finished" | "seconds">,
): ChaosResult {
  const counts = effects.counts();
  const lost = lostOf(plan, effects.done(), dead);
  const killed = new Set(rest.events.flatMap((e) => /^kill -9 (\S+)/.exec(e)?.slice(1) ?? []));
  const repeated = effects.repeated(IDEMPOTENT);
  const afterKill = repeated.filter((r) => killed.has(r.workers[0]!));
  return {
    target,
    sent: plan.items.length + plan.poison.length,
    processed: counts.distinct,
    deadLettered: dead.total,
    lost: lost.length + lostPoisonOf(plan, dead),
    lostSample: lost.slice(0, 10),
    duplicatesPlain: counts.duplicates[PLAIN] ?? 0,
    duplicatesIdempotent:
      (counts.duplicates[IDEMPOTENT] ?? 0) - afterKill.reduce((n, r) => n + r.workers.length - 1, 0),
    duplicatesIdempotentAfterKill: afterKill.length,
    repeatedAfterKill: afterKill.map((r) => `item ${r.n} by ${r.workers.join(" then ")}`),
    wronglyDeadLettered: dead.good.size,
    wrongReasons: reasonsOf(dead),
    ...rest,
  };
}

/** Remove the run's idempotency keys from the shared Redis. */
async function forgetKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } catch {
    // Keys expire by themselves (24 h); a Redis that went away leaves nothing to do.
  } finally {
    redis.disconnect();
  }
}
