import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createHermeticRun, DEFAULT_API_KEY, DEFAULT_MODEL, NO_BACKGROUND_EGRESS_TOML } from "./hermetic.js";

describe("createHermeticRun", () => {
  it("creates empty home, CODEX_HOME and a git working directory, and the env pointing at them", async () => {
    const run = await createHermeticRun({ baseUrl: "http://127.0.0.1:9/v1" }, { PATH: process.env.PATH });
    try {
      expect(statSync(run.codexHome).isDirectory()).toBe(true);
      expect(existsSync(path.join(run.workingDirectory, ".git"))).toBe(true);
      expect(run.env).toEqual({
        PATH: process.env.PATH,
        HOME: path.join(path.dirname(run.codexHome), "home"),
        CODEX_HOME: run.codexHome,
        CODEX_API_KEY: DEFAULT_API_KEY,
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
        CODEX_MODEL: DEFAULT_MODEL,
      });
      expect(statSync(run.env.HOME as string).isDirectory()).toBe(true);
      // Plugins and analytics off: the only config, so codex sends nothing off loopback (codex.egress.e2e.test.ts).
      expect(readFileSync(path.join(run.codexHome, "config.toml"), "utf8")).toBe(NO_BACKGROUND_EGRESS_TOML);
      expect(NO_BACKGROUND_EGRESS_TOML).toBe("[features]\nplugins = false\n\n[analytics]\nenabled = false\n");
    } finally {
      await run.cleanup();
    }
    expect(existsSync(run.codexHome)).toBe(false);
    expect(existsSync(run.workingDirectory)).toBe(false);
    await run.cleanup();
  });

  it("applies the api key, model and extra env last", async () => {
    const run = await createHermeticRun(
      {
        baseUrl: "http://127.0.0.1:9/v1",
        apiKey: "sk-x",
        model: "m",
        env: { EXTRA: "1", HOME: "/elsewhere" },
      },
      { PATH: process.env.PATH },
    );
    await run.cleanup();
    expect(run.env).toMatchObject({
      CODEX_API_KEY: "sk-x",
      CODEX_MODEL: "m",
      EXTRA: "1",
      HOME: "/elsewhere",
    });
  });

  it("still creates the directories when git is missing", async () => {
    const run = await createHermeticRun({ baseUrl: "http://127.0.0.1:9/v1" }, { PATH: "/nonexistent" });
    try {
      expect(statSync(run.workingDirectory).isDirectory()).toBe(true);
      expect(existsSync(path.join(run.workingDirectory, ".git"))).toBe(false);
      expect(run.env.PATH).toBe("/nonexistent");
    } finally {
      await run.cleanup();
    }
  });
});
