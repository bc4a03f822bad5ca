import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests run the workspace packages from source, so a fresh clone needs no build first.
    alias: {
      "@alphred/codex-emulator": fileURLToPath(
        new URL("./packages/codex-emulator/src/index.ts", import.meta.url),
      ),
    },
  },
  test: {
    include: [
      "packages/*/src/**/*.test.ts",
      "packages/*/bench/**/*.test.mjs",
      "packages/*/faults/**/*.test.mjs",
    ],
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
