import { ConfigError } from "@mailroom/core";
import type { Options } from "amqplib";

/** Where to connect, as amqplib takes it. Holds the password: never log it (use `redacted`). */
export interface ConnectTarget {
  connect: Options.Connect;
  /** The URL with the password replaced by `***`, for logs and errors. */
  redacted: string;
  /** The password, so error texts can be scrubbed of it. Empty when none. */
  secret: string;
}

/** What the query string of a transport URL may set (see the README's option table). */
export interface UrlOptions {
  queue?: string;
  exchange?: string;
  exchangeType?: string;
  queueType?: "classic" | "quorum";
  prefetch?: number;
  passive?: boolean;
  bindings?: string[];
  deadLetterExchange?: string;
  maxPriority?: number;
}

const CONNECT_PARAMS = new Set(["heartbeat", "frameMax", "channelMax", "locale"]);

/**
 * Parse `amqp[s]://user:pass@host:port/vhost?queue=orders&exchange=events&…`. Connection
 * parameters (`heartbeat`, `frameMax`, `channelMax`, `locale`) go to amqplib; the rest are
 * Mailroom's options. The vhost is the URL-decoded path (`/%2f` or an empty path is `/`).
 */
export function parseAmqpUrl(input: string | URL): { target: ConnectTarget; options: UrlOptions } {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new ConfigError(`not a valid AMQP URL: ${redactUrl(String(input))}`);
  }
  if (url.protocol !== "amqp:" && url.protocol !== "amqps:") {
    throw new ConfigError(`expected an amqp:// or amqps:// URL, got ${url.protocol}//…`);
  }
  const tls = url.protocol === "amqps:";
  const path = url.pathname.replace(/^\//, "");
  const vhost = path === "" ? "/" : decodeURIComponent(path);
  const connect: Options.Connect = {
    protocol: tls ? "amqps" : "amqp",
    hostname: url.hostname.replace(/^\[|\]$/g, "") || "localhost",
    port: url.port ? Number(url.port) : tls ? 5671 : 5672,
    username: url.username ? decodeURIComponent(url.username) : "guest",
    password: url.password ? decodeURIComponent(url.password) : "guest",
    vhost,
  };
  const options: UrlOptions = {};
  for (const [key, value] of url.searchParams) {
    if (CONNECT_PARAMS.has(key)) {
      if (key === "locale") connect.locale = value;
      else (connect as Record<string, unknown>)[key] = intParam(key, value);
      continue;
    }
    switch (key) {
      case "queue":
      case "exchange":
      case "exchangeType":
      case "deadLetterExchange":
        options[key] = value;
        break;
      case "queueType":
        if (value !== "classic" && value !== "quorum") {
          throw new ConfigError(`queueType must be "classic" or "quorum", got "${value}"`);
        }
        options.queueType = value;
        break;
      case "prefetch":
      case "maxPriority":
        options[key] = intParam(key, value);
        break;
      case "passive":
        options.passive = value === "" || value === "true" || value === "1";
        break;
      case "bind":
        options.bindings = value.split(",").filter((s) => s.length > 0);
        break;
      default:
        throw new ConfigError(
          `unknown AMQP URL parameter "${key}" (known: queue, exchange, exchangeType, queueType, prefetch, passive, bind, deadLetterExchange, maxPriority, heartbeat, frameMax, channelMax, locale)`,
        );
    }
  }
  return { target: { connect, redacted: redactUrl(url), secret: connect.password ?? "" }, options };
}

function intParam(key: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`URL parameter ${key} must be a whole number >= 0, got "${value}"`);
  return n;
}

/** The URL with its password replaced by `***`. Works on unparseable input too. */
export function redactUrl(input: string | URL): string {
  const text = String(input);
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return text.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}

/** Remove `secret` (and any URL password) from a text, for error messages built from broker or socket errors. */
export function scrub(text: string, secret: string): string {
  let out = text.replace(/(amqps?:\/\/[^:/@\s]*):[^@/\s]*@/g, "$1:***@");
  if (secret.length >= 3) out = out.split(secret).join("***");
  return out;
}
