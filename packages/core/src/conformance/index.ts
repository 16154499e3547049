import { afterAll, describe } from "vitest";
import { adminTests } from "./admin.ts";
import { deliveryTests } from "./basics.ts";
import { codecTests } from "./codecs.ts";
import { Harness } from "./harness.ts";
import { recoveryTests } from "./recovery.ts";
import { requestTests } from "./requests.ts";
import { semanticsTests } from "./semantics.ts";
import type { ConformanceTarget } from "./target.ts";

export type { ConformanceFeatures, ConformanceTarget, OpenOptions } from "./target.ts";

/**
 * The one suite every transport passes against its real server (as Watermill's TestPubSub).
 * Call it at the top level of a vitest file. Behaviours a transport cannot have are skipped by
 * `features`, and the skip is visible in the test names.
 *
 * @example
 * runConformance({ name: "sqlite", open: async (queue, o) => sqliteTransport(file, { queue, ...o }), sendRaw });
 */
export function runConformance(target: ConformanceTarget): void {
  const h = new Harness(target);
  describe(`conformance: ${target.name}`, () => {
    afterAll(() => h.cleanup());
    deliveryTests(h);
    semanticsTests(h);
    requestTests(h);
    codecTests(h);
    recoveryTests(h);
    adminTests(h);
  });
}
