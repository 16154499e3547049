import { type AddressInfo, createServer, type Socket } from "node:net";
import { Redis } from "ioredis";
import { openTransport, type RedisTransport, type RedisTransportOptions } from "../src/index.ts";

/** The Redis the services script starts (`scripts/services.sh`), or `MAILROOM_REDIS_URL`. */
export const REDIS_URL = process.env.MAILROOM_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A prefix unique to this test file's run: every stream a test makes starts with it, and `cleanup` removes them. */
export function streamPrefix(what: string): string {
  return `mrt-${what}-${process.pid}-${Date.now().toString(36)}-`;
}

/** The transport URL of `stream` on the test server, with more query options. */
export function streamUrl(stream: string, query: Record<string, string> = {}): string {
  const url = new URL(REDIS_URL);
  url.searchParams.set("stream", stream);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** Open a transport on `stream` of the test server. */
export function openStream(stream: string, options: RedisTransportOptions = {}): Promise<RedisTransport> {
  return openTransport(streamUrl(stream), options);
}

/** A plain client of the test server, for what a test does around Mailroom (foreign producers, checks). */
export function plainClient(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
}

/** Delete every key that starts with `prefix` (the streams a test file made and the keys beside them). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(
      cursor,
      "MATCH",
      `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`,
      "COUNT",
      500,
    );
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that accepts connections and never answers; `close` ends it and its sockets. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
