import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Guard } from "./guard.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** The status a real HTTP server answers when it serves by `guard.admit`, for these headers. */
async function admitStatus(guard: Guard, headers: Record<string, string>): Promise<number> {
  const server = createServer((req, res) => {
    const verdict = guard.admit(req);
    res.writeHead(verdict.ok ? 200 : verdict.status).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${port}/api/state`, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    })
      .on("error", reject)
      .end();
  });
}

describe("Guard", () => {
  it("refuses an empty or blank access token: it would let anyone in", () => {
    expect(() => new Guard("")).toThrow(/access token is empty/);
    expect(() => new Guard(" \t ")).toThrow(/access token is empty/);
    expect(new Guard(undefined).locked).toBe(false);
  });

  it("with a token, an empty candidate is never the token, by query, header or cookie", async () => {
    const guard = new Guard("s3cret");
    expect(guard.locked).toBe(true);
    expect(guard.isToken("")).toBe(false);
    expect(guard.isToken("s3cret")).toBe(true);
    expect(await admitStatus(guard, { authorization: "Bearer " })).toBe(401);
    expect(await admitStatus(guard, { cookie: "mailroom_dashboard=" })).toBe(401);
    expect(await admitStatus(guard, {})).toBe(401);
    expect(await admitStatus(guard, { authorization: "Bearer s3cret" })).toBe(200);
    const session = guard.cookie().split(";")[0]!;
    expect(await admitStatus(guard, { cookie: session })).toBe(200);
  });
});
