import { redact } from "@mailroom/core";
import { CliError } from "../errors.ts";

/** Where a transport URL's app consumes from, read from the URL alone (nothing is opened). */
export interface ChannelTarget {
  /** The URL's scheme: `sqlite`, `memory`, `amqp`, `sqs`, … */
  readonly kind: string;
  /** The queue (SQS, MNS, Azure, local queues), stream (Redis) or AMQP queue the app consumes. */
  readonly queue: string;
  /** AMQP: the exchange messages are published to with their name as routing key, if the URL names one. */
  readonly exchange?: { readonly name: string; readonly type: string } | undefined;
  /** AMQP: the virtual host. */
  readonly vhost?: string | undefined;
  /** The broker, without credentials or query: absent for the local queues, which have none. */
  readonly server?:
    | { readonly host: string; readonly protocol: string; readonly pathname?: string }
    | undefined;
}

/** The local queues' default queue name (`?queue=` sets another). */
const LOCAL_QUEUE = "default";
/** The Redis adapter's default stream (`?stream=` sets another). */
const REDIS_STREAM = "mailroom";

/**
 * The queue (and, for AMQP, the exchange) that a transport URL consumes, as the adapters read
 * their URLs: `?queue=` for the local queues and AMQP, `?stream=` for Redis, the last path
 * segment for SQS, MNS and Azure. A URL naming no queue where one is needed is a `CliError`.
 */
export function channelTarget(url: string): ChannelTarget {
  const scheme = url.slice(0, Math.max(0, url.indexOf(":")));
  if (scheme === "sqlite" || scheme === "memory") {
    const q = url.indexOf("?");
    const params = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
    return { kind: scheme, queue: params.get("queue") || LOCAL_QUEUE };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CliError(`"${redact(url)}" is not a valid transport URL`);
  }
  const lastSegment = u.pathname.split("/").filter(Boolean).map(decodeURIComponent).at(-1);
  const server = (protocol: string, pathname?: string) => ({
    host: u.host,
    protocol,
    ...(pathname ? { pathname } : {}),
  });
  switch (scheme) {
    case "amqp":
    case "amqps": {
      const queue = u.searchParams.get("queue");
      if (!queue) throw new CliError("an AMQP transport URL needs a queue: add ?queue=<name>");
      const path = u.pathname.replace(/^\//, "");
      const vhost = path === "" ? "/" : decodeURIComponent(path);
      const exchange = u.searchParams.get("exchange");
      return {
        kind: scheme,
        queue,
        vhost,
        exchange: exchange
          ? { name: exchange, type: u.searchParams.get("exchangeType") || "topic" }
          : undefined,
        server: server(scheme, `/${encodeURIComponent(vhost)}`),
      };
    }
    case "redis":
    case "rediss":
      return { kind: scheme, queue: u.searchParams.get("stream") || REDIS_STREAM, server: server(scheme) };
    case "sqs":
    case "mns":
    case "mns+http":
    case "azure-queue":
    case "azure-queue+http":
    case "azure-queue+https": {
      if (!lastSegment)
        throw new CliError(`the transport URL ${redact(url)} names no queue: put it last in the path`);
      return { kind: scheme, queue: lastSegment, server: server(scheme.replace(/\+.*$/, "")) };
    }
    default:
      throw new CliError(
        `unknown transport scheme "${scheme}:"; known: sqlite, memory, amqp, amqps, sqs, mns, mns+http, azure-queue, azure-queue+http, azure-queue+https, redis, rediss`,
      );
  }
}
