import { describeError, RefusedError, TransportError } from "@mailroom/core";
import { type ConnectTarget, scrub } from "./url.ts";

/** TLS failures that mean the certificates or the server name are wrong: waiting will not fix them. */
const TLS_CONFIG = /CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT|ERR_SSL_|wrong version number|altnames/i;

/**
 * What a failed connection attempt means, as an error a user can act on. Waiting cannot fix a
 * refused login, a virtual host that does not exist (or the user may not open) or a TLS set-up
 * that does not match the server: those are `ConfigError`s, and the first connection stops
 * trying at once. Anything else (nothing listening, DNS, timeouts, a broker still starting) is a
 * `TransportError`: the broker may come. Messages name the URL without its password.
 */
export function connectFailure(error: unknown, target: ConnectTarget): RefusedError | TransportError {
  const text = describeError(error);
  const where = `could not connect to RabbitMQ at ${target.redacted}`;
  const user = target.connect.username ?? "guest";
  const vhost = target.connect.vhost ?? "/";
  if (/ACCESS.REFUSED/.test(text)) {
    return new RefusedError(
      `${where}: the broker refused the login of user "${user}" (check the user name and password)`,
      { cause: error },
    );
  }
  if (/ConnectionOpenOk; got <ConnectionClose/.test(text)) {
    return new RefusedError(
      `${where}: the broker refused to open virtual host "${vhost}": it does not exist, or user "${user}" has no permission on it (rabbitmqctl add_vhost / set_permissions, or fix the URL's path)`,
      { cause: error },
    );
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (TLS_CONFIG.test(`${typeof code === "string" ? code : ""} ${text}`)) {
    return new RefusedError(
      `${where}: TLS handshake failed: ${scrub(text, target.secret)} (check socketOptions ca / cert / key / servername, and that the port speaks TLS)`,
      { cause: error },
    );
  }
  return new TransportError(`${where}: ${scrub(text, target.secret)} (${unreachableHint(text)})`, {
    cause: error,
  });
}

function unreachableHint(text: string): string {
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN/.test(text))
    return "is the broker running, and the host and port right?";
  return "is the broker running and the URL right?";
}
