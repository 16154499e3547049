import { expect, it } from "vitest";
import { RequestTimeoutError } from "../errors.ts";
import type { Harness } from "./harness.ts";

/**
 * Request / reply on the transport (`Transport.requester`): the handler's return value (or its
 * `ctx.reply`) reaches the requester that asked, many requests at once each get their own
 * answer, a request nobody answers times out, and the requester cleans up on close.
 */
export function requestTests(h: Harness): void {
  it.runIf(h.features.requests)(
    "request / reply: each requester gets its own handler's answer, by correlation id; a request nobody answers times out",
    async () => {
      const queue = h.queueName("rpc");
      const t = await h.open(queue);
      const app = h.newApp();
      app.handle("conf_rpc", (data) => ({ echo: data }));
      app.handle("conf_rpc_explicit", async (data, ctx) => {
        await ctx.reply({ explicit: data });
      });
      app.handle("conf_rpc_silent", () => undefined);
      h.start(app, t);
      expect(typeof t.requester, `${h.target.name} has no requester()`).toBe("function");
      const requester = t.requester!();
      try {
        const answers = await Promise.all(
          Array.from({ length: 5 }, (_, i) => requester.request("conf_rpc", { i }, { timeout: 20_000 })),
        );
        expect(answers).toEqual(Array.from({ length: 5 }, (_, i) => ({ echo: { i } })));
        await expect(requester.request("conf_rpc_explicit", { n: 1 }, { timeout: 20_000 })).resolves.toEqual({
          explicit: { n: 1 },
        });
        const began = Date.now();
        const silent = await requester.request("conf_rpc_silent", {}, { timeout: 1_500 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(silent).toBeInstanceOf(RequestTimeoutError);
        expect(Date.now() - began).toBeLessThan(10_000);
      } finally {
        await requester.close();
      }
      await expect(requester.request("conf_rpc", {})).rejects.toThrow(/closed/);
    },
  );
}
