import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@mailroom/source"] },
  ssr: { resolve: { conditions: ["@mailroom/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
