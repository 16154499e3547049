import { ConfigError } from "../errors.ts";
import { redact } from "../redact.ts";
import type { Transport } from "../transport.ts";
import { memoryTransport } from "./memory.ts";
import { sqliteTransport } from "./sqlite.ts";

/** Opens a transport from a URL. Adapters register one per scheme. */
export type TransportOpener = (url: URL) => Promise<Transport>;

const openers = new Map<string, TransportOpener>();

/** Adapter packages loaded on demand by scheme. */
const adapterPackages: Record<string, string> = {
  amqp: "@mailroom/adapter-amqp",
  amqps: "@mailroom/adapter-amqp",
  sqs: "@mailroom/adapter-sqs",
  mns: "@mailroom/adapter-mns",
  "mns+http": "@mailroom/adapter-mns",
  "azure-queue": "@mailroom/adapter-azure",
  "azure-queue+http": "@mailroom/adapter-azure",
  "azure-queue+https": "@mailroom/adapter-azure",
  redis: "@mailroom/adapter-redis",
  rediss: "@mailroom/adapter-redis",
};

/** Register (or replace) the opener for a URL scheme, without the colon (`"amqp"`). */
export function registerTransport(scheme: string, opener: TransportOpener): void {
  openers.set(scheme, opener);
}

/** The default transport: the durable SQLite queue in `./.mailroom/queue.db`. */
export const DEFAULT_TRANSPORT = "sqlite:./.mailroom/queue.db";

/**
 * Open a transport from its URL:
 * - `sqlite:./path.db?queue=orders&visibility=30s&wait=1s&sync=normal` — the durable local queue (the default);
 * - `memory:?queue=orders&namespace=tests` — in-process, for tests;
 * - `amqp://…`, `sqs://…`, `mns://…`, `azure-queue://…`, `redis://…` — loaded from the adapter package of that scheme.
 * Credentials in the URL never appear in errors.
 */
export async function openTransport(url: string | URL = DEFAULT_TRANSPORT): Promise<Transport> {
  const text = String(url);
  const scheme = text.slice(0, Math.max(0, text.indexOf(":")));
  if (!scheme)
    throw new ConfigError(`"${redact(text)}" is not a transport URL; try sqlite:./queue.db or amqp://host/…`);
  const opener = openers.get(scheme);
  if (opener) return opener(new URL(text));
  if (scheme === "sqlite") return openSqlite(text);
  if (scheme === "memory") return openMemory(text);
  const pkg = adapterPackages[scheme];
  if (!pkg) {
    throw new ConfigError(
      `unknown transport scheme "${scheme}:"; known: sqlite, memory, ${Object.keys(adapterPackages).join(", ")}`,
    );
  }
  let mod: { openTransport?: (url: URL) => Promise<Transport> };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch (error) {
    throw new ConfigError(
      `transport "${scheme}:" needs the package ${pkg}; install it with: npm install ${pkg}`,
      {
        cause: error,
      },
    );
  }
  if (typeof mod.openTransport !== "function") throw new ConfigError(`${pkg} does not export openTransport`);
  return mod.openTransport(new URL(text));
}

function localOptions(params: URLSearchParams) {
  const visibility = params.get("visibility");
  const wait = params.get("wait");
  return {
    queue: params.get("queue") ?? undefined,
    visibilityTimeoutMs: visibility ? parseDuration(visibility) : undefined,
    waitMs: wait ? parseDuration(wait) : undefined,
  };
}

function openSqlite(text: string): Transport {
  const rest = text.slice("sqlite:".length);
  const q = rest.indexOf("?");
  let path = q >= 0 ? rest.slice(0, q) : rest;
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : "");
  if (path.startsWith("//")) path = path.slice(2);
  if (!path) throw new ConfigError("sqlite: needs a file path, e.g. sqlite:./.mailroom/queue.db");
  const sync = params.get("sync");
  return sqliteTransport(path, {
    ...localOptions(params),
    sync: (sync ?? undefined) as "normal" | "full" | "off" | undefined,
  });
}

function openMemory(text: string): Transport {
  const q = text.indexOf("?");
  const params = new URLSearchParams(q >= 0 ? text.slice(q + 1) : "");
  return memoryTransport({ ...localOptions(params), namespace: params.get("namespace") ?? undefined });
}

/**
 * Parse `30s`, `500ms`, `5m`, `2h`, `1d`, or a bare number of milliseconds.
 * Throws ConfigError with the accepted forms otherwise.
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new ConfigError(`"${text}" is not a duration; use e.g. 500ms, 30s, 5m, 2h or 1d`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "ms"]!;
  return Math.round(n * unit);
}

export { redact } from "../redact.ts";
