import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@mailroom/source"] },
  ssr: { resolve: { conditions: ["@mailroom/source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/test/**/*.test.ts",
      "examples/**/*.test.ts",
      "functions/**/*.test.ts",
      "infra/**/*.test.ts",
      "chaos/test/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Fails the test during which a promise rejection went unhandled.
    setupFiles: ["./vitest.setup.ts"],
    globalSetup: ["./vitest.global.ts"],
    // Integration files share real servers (RabbitMQ, Redis); two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
    reporters: ["default", "json"],
    outputFile: { json: "./test-results.json" },
  },
});
