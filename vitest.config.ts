import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["packages/agents/src/**/*.ts"],
      exclude: ["packages/agents/src/**/*.test.ts", "packages/agents/src/**/testing/**"],
      reporter: ["text-summary", "text"],
      thresholds: {
        lines: 95,
        branches: 90,
      },
    },
  },
});
