import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The cookie a browser keeps the dashboard token in, after opening the page once with `?token=`. */
export const TOKEN_COOKIE = "mailroom_dashboard";
/** The header every action (POST) must carry, with the page's CSRF token. */
export const CSRF_HEADER = "x-mailroom-csrf";

/** Hosts that only this machine can reach: binding them needs no token. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Compare secrets in constant time (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** What a request may do, or why it is refused. */
export type Verdict = { ok: true } | { ok: false; status: number; message: string };

/**
 * The dashboard's request checks: the access token (when one is set) and, for actions, the CSRF
 * token and a same-origin `Origin`. Without a token the dashboard listens on loopback only, and
 * the `Host` header must name loopback too, so a page on another site cannot reach it through a
 * DNS name that resolves to 127.0.0.1 (DNS rebinding).
 */
export class Guard {
  /** Sent in the page; every POST must echo it in `x-mailroom-csrf`. Random per process. */
  readonly csrf = randomBytes(32).toString("base64url");
  readonly #token: string | undefined;

  /** @throws RangeError when `token` is empty or only spaces: it would let anyone in. */
  constructor(token: string | undefined) {
    if (token !== undefined && token.trim() === "") {
      throw new RangeError("the dashboard's access token is empty: give a secret, or none (loopback only)");
    }
    this.#token = token;
  }

  /** True when requests need the access token. */
  get locked(): boolean {
    return this.#token !== undefined;
  }

  /** True when `candidate` is the access token. */
  isToken(candidate: string): boolean {
    return this.#token !== undefined && candidate !== "" && sameSecret(candidate, this.#token);
  }

  /**
   * `Set-Cookie` value that lets this browser in: a value derived from the token rather than the
   * token itself, so the token never travels in a header. It stays valid across restarts with
   * the same token.
   */
  cookie(): string {
    return `${TOKEN_COOKIE}=${this.#session()}; HttpOnly; SameSite=Strict; Path=/`;
  }

  #session(): string {
    return createHmac("sha256", this.#token ?? "")
      .update("mailroom dashboard session")
      .digest("base64url");
  }

  /** May this request be served at all? (Host, then the token from the header or the cookie.) */
  admit(req: IncomingMessage): Verdict {
    const host = req.headers.host;
    if (!host) return { ok: false, status: 400, message: "missing Host header" };
    if (!this.locked) {
      if (!isLoopback(hostName(host))) {
        return {
          ok: false,
          status: 403,
          message: `Host ${host} is not this machine; open the dashboard by 127.0.0.1 or localhost`,
        };
      }
      return { ok: true };
    }
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ") && this.isToken(auth.slice(7).trim())) return { ok: true };
    const fromCookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
    if (fromCookie !== undefined && sameSecret(fromCookie, this.#session())) return { ok: true };
    return {
      ok: false,
      status: 401,
      message: "this dashboard needs its token: open it once with ?token=…, or send Authorization: Bearer …",
    };
  }

  /** May this admitted request change something? (The CSRF header, and Origin matching Host.) */
  allowAction(req: IncomingMessage): Verdict {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== "string" || !sameSecret(sent, this.csrf)) {
      return { ok: false, status: 403, message: `missing or wrong ${CSRF_HEADER} header: reload the page` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {}
      if (originHost === undefined || originHost.toLowerCase() !== req.headers.host?.toLowerCase()) {
        return { ok: false, status: 403, message: `cross-origin request from ${origin} refused` };
      }
    }
    return { ok: true };
  }
}

/** `example.com:8090` → `example.com`; `[::1]:8090` → `::1`. */
function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
