import type { HermeticRun } from "@alphred/codex-emulator";
import { describe, expect, it, type TestContext } from "vitest";
import { diagnoseCodex } from "./codexDoctor.js";
import { codexLogin, codexPathUnderTest, hermeticRun } from "./testing/e2e.js";

// diagnoseCodex against the real binary: API-key mode, a stored `codex login`, and both at once.

const codexPath = await codexPathUnderTest();
const STORED_KEY = "sk-stored-doctor-login-key-4444444444";

const hermetic = (context: TestContext): Promise<HermeticRun> =>
  hermeticRun(context, "http://127.0.0.1:9/v1");

const storeLogin = (run: HermeticRun): Promise<void> => codexLogin(run, STORED_KEY, codexPath);

describe.concurrent("diagnoseCodex + real codex binary", () => {
  it("API-key mode: the env key, masked; the binary's version; the model checked against its catalog", async (context) => {
    const run = await hermetic(context);
    const d = await diagnoseCodex({ env: run.env, codexPath });
    expect(d.ok).toBe(true);
    expect(d.credential).toEqual({
      source: "CODEX_API_KEY",
      maskedKey: "sk-...0000",
      hidesStoredLogin: false,
    });
    expect(d.binary.version).toMatch(/^codex-cli \d+\.\d+\.\d+/);
    expect(d.codexHome).toEqual({ path: run.codexHome, explicit: true, exists: true });
    expect(d.model).toMatchObject({ slug: "gpt-5.5", source: "CODEX_MODEL", knownToBinary: true });
    expect(d.model.catalog.length).toBeGreaterThan(1);
    expect(d.login.loggedIn).toBe(false);
    expect(d.sdkVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.stringify(d)).not.toContain(run.env.CODEX_API_KEY);
  });

  it("says the default gpt-5-codex is not in the binary's catalog", async (context) => {
    const run = await hermetic(context);
    const { CODEX_MODEL: _model, ...env } = run.env;
    const d = await diagnoseCodex({ env, codexPath });
    expect(d.model).toMatchObject({ slug: "gpt-5-codex", source: "default", knownToBinary: false });
    expect(d.checks.find((check) => check.id === "model")?.fix).toContain("gpt-5.5");
  });

  it("login mode: the login stored in CODEX_HOME by `codex login --with-api-key`", async (context) => {
    const run = await hermetic(context);
    await storeLogin(run);
    const { CODEX_API_KEY: _key, ...env } = run.env;
    const d = await diagnoseCodex({ env, codexPath });
    expect(d.ok).toBe(true);
    expect(d.credential).toEqual({ source: "codex_login", hidesStoredLogin: false });
    expect(d.login.loggedIn).toBe(true);
    // 0.163 prints "Logged in using an API key - sk-…", 0.169 "API key configured - sk-…".
    expect(d.login.status).toMatch(/^(Logged in using an API key|API key configured) - /);
    expect(JSON.stringify(d)).not.toContain(STORED_KEY);
  });

  it("warns when an env key hides the stored login; no credential at all fails", async (context) => {
    const run = await hermetic(context);
    await storeLogin(run);
    const hidden = await diagnoseCodex({ env: run.env, codexPath });
    expect(hidden.credential.hidesStoredLogin).toBe(true);
    expect(hidden.checks.find((check) => check.id === "hidden_login")?.status).toBe("warn");

    const empty = await hermetic(context);
    const { CODEX_API_KEY: _key, ...env } = empty.env;
    const none = await diagnoseCodex({ env, codexPath });
    expect(none.ok).toBe(false);
    expect(none.credential.source).toBe("none");
  });
});
