import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CodexDiagnosis,
  createCodexDoctor,
  type DoctorIo,
  formatDiagnosis,
  maskSecret,
  parseModelCatalog,
} from "./codexDoctor.js";
import type { CodexCommandOutput } from "./codexIo.js";

const BIN = "/pkg/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";
const CATALOG = JSON.stringify({ models: [{ slug: "gpt-5.5" }, { slug: "gpt-6-sol" }] });
const KEY = "sk-proj-abcdefghijklmnopqrstuvwx1234";

interface FakeOptions {
  loggedIn?: boolean;
  catalog?: string;
  versionFails?: boolean;
  missingPackage?: boolean;
  directories?: string[];
}

function fakeIo(options: FakeOptions = {}) {
  const calls: { args: readonly string[]; env: Record<string, string> }[] = [];
  const io: DoctorIo = {
    resolvePackage: (specifier) => {
      if (options.missingPackage) throw new Error(`Cannot find module ${specifier}`);
      return specifier.startsWith("@openai/codex/")
        ? "/pkg/codex/package.json"
        : "/pkg/codex-linux-x64/package.json";
    },
    isFile: (file) => file === BIN || file.endsWith("codex-package.json"),
    isDirectory: (dir) => (options.directories ?? ["/home/u/.codex"]).includes(dir),
    homedir: () => "/home/u",
    readPackageVersion: (name) => (name === "@openai/codex-sdk" ? "0.163.0" : undefined),
    runCommand: async (_path, args, env): Promise<CodexCommandOutput> => {
      calls.push({ args, env });
      const ok = (stdout: string, stderr = ""): CodexCommandOutput => ({
        exitCode: 0,
        signal: null,
        stdout,
        stderr,
      });
      if (args[0] === "--version")
        return options.versionFails ? { ...ok(""), exitCode: 127 } : ok("codex-cli 0.163.0\n");
      if (args[0] === "debug") return ok(options.catalog ?? CATALOG);
      return options.loggedIn
        ? ok("", `WARNING: proceeding\nLogged in using an API key - ${KEY.slice(0, 8)}***x1234\n`)
        : { exitCode: 1, signal: null, stdout: "", stderr: "Not logged in\n" };
    },
  };
  return { io, calls };
}

const diagnose = (env: Record<string, string | undefined>, fake = fakeIo(), model?: string) =>
  createCodexDoctor({ io: fake.io, platform: "linux", arch: "x64" })({
    env: { HOME: "/home/u", ...env },
    ...(model ? { model } : {}),
  });
const check = (diagnosis: CodexDiagnosis, id: string) => diagnosis.checks.find((entry) => entry.id === id);

describe("diagnoseCodex", () => {
  it("reports an env API key, masked, and warns that it hides a stored login", async () => {
    const d = await diagnose(
      { CODEX_API_KEY: KEY, OPENAI_API_KEY: "sk-other-key-0000000000000" },
      fakeIo({ loggedIn: true }),
    );
    expect(d.credential).toEqual({
      source: "CODEX_API_KEY",
      maskedKey: "sk-...1234",
      hidesStoredLogin: true,
    });
    expect(check(d, "hidden_login")).toMatchObject({ status: "warn" });
    expect(check(d, "hidden_login")?.fix).toContain("Unset CODEX_API_KEY");
    expect(d.login).toEqual({ loggedIn: true, status: "Logged in using an API key - [REDACTED]" });
    expect(d.ok).toBe(true);
  });

  it("falls back to OPENAI_API_KEY, then to the login stored in CODEX_HOME", async () => {
    expect((await diagnose({ OPENAI_API_KEY: KEY })).credential.source).toBe("OPENAI_API_KEY");
    const stored = await diagnose({ CODEX_HOME: "/ch" }, fakeIo({ loggedIn: true, directories: ["/ch"] }));
    expect(stored.credential).toEqual({ source: "codex_login", hidesStoredLogin: false });
    expect(stored.codexHome).toEqual({ path: "/ch", explicit: true, exists: true });
    expect(check(stored, "credential")?.message).toBe("the login stored in /ch");
  });

  it("fails without any credential, and on a blank key variable, naming the fix", async () => {
    const none = await diagnose({});
    expect(none.ok).toBe(false);
    expect(check(none, "credential")).toMatchObject({ status: "error" });
    expect(check(none, "credential")?.fix).toContain("CODEX_API_KEY");
    const blank = await diagnose({ CODEX_API_KEY: "  " });
    expect(check(blank, "credential")).toMatchObject({
      status: "error",
      message: "CODEX_API_KEY is set but empty.",
    });
  });

  it("says the default gpt-5-codex is unknown to the binary and what to set instead", async () => {
    const d = await diagnose({ CODEX_API_KEY: KEY });
    expect(d.model).toEqual({
      slug: "gpt-5-codex",
      source: "default",
      knownToBinary: false,
      catalog: ["gpt-5.5", "gpt-6-sol"],
    });
    expect(check(d, "model")).toMatchObject({ status: "warn" });
    expect(check(d, "model")?.fix).toBe(
      "Set CODEX_MODEL (or the provider's model setting) to one of: gpt-5.5, gpt-6-sol.",
    );
    expect((await diagnose({ CODEX_API_KEY: KEY, CODEX_MODEL: "gpt-5.5" })).model).toMatchObject({
      source: "CODEX_MODEL",
      knownToBinary: true,
    });
    expect(
      (await diagnose({ CODEX_API_KEY: KEY, CODEX_MODEL: "gpt-5.5" }, fakeIo(), "gpt-6-sol")).model.source,
    ).toBe("option");
    const unreadable = await diagnose({ CODEX_API_KEY: KEY }, fakeIo({ catalog: "not json" }));
    expect(unreadable.model).toEqual({ slug: "gpt-5-codex", source: "default", catalog: [] });
    expect(check(unreadable, "model")?.status).toBe("warn");
  });

  it("reports the binary, its version and the SDK version; a missing or broken binary is an error", async () => {
    const d = await diagnose({ CODEX_API_KEY: KEY });
    expect(d.binary).toEqual({ path: BIN, version: "codex-cli 0.163.0" });
    expect(d.sdkVersion).toBe("0.163.0");
    expect(d.checks[0]).toMatchObject({ id: "binary", status: "ok" });
    const missing = await diagnose({ CODEX_API_KEY: KEY }, fakeIo({ missingPackage: true }));
    expect(missing.binary).toEqual({});
    expect(check(missing, "binary")).toMatchObject({ status: "error" });
    expect(missing.ok).toBe(false);
    const broken = await diagnose({ CODEX_API_KEY: KEY }, fakeIo({ versionFails: true }));
    expect(check(broken, "binary")?.status).toBe("error");
  });

  it("checks CODEX_HOME and OPENAI_BASE_URL", async () => {
    const d = await diagnose({ CODEX_API_KEY: KEY, CODEX_HOME: "/nope", OPENAI_BASE_URL: "ftp://x" });
    expect(check(d, "codex_home")).toMatchObject({ status: "error" });
    expect(check(d, "base_url")).toMatchObject({ status: "error" });
    const fine = await diagnose({ CODEX_API_KEY: KEY, OPENAI_BASE_URL: "http://127.0.0.1:1/v1" });
    expect(fine.baseUrl).toBe("http://127.0.0.1:1/v1");
    expect(fine.codexHome).toEqual({ path: "/home/u/.codex", explicit: false, exists: true });
  });

  it("picks the status line of `codex login status` whichever binary printed it", async () => {
    for (const [stderr, expected] of [
      [
        "WARNING: x\nAPI key configured - sk-store***44444\nAuthentication is checked when you send a request.\n",
        "API key configured - [REDACTED]",
      ],
      ["Logged in using ChatGPT\n", "Logged in using ChatGPT"],
      ["something else\n", "something else"],
    ] as const) {
      const fake = fakeIo({ loggedIn: true });
      fake.io.runCommand = async (_path, args) =>
        args[0] === "login"
          ? { exitCode: 0, signal: null, stdout: "", stderr }
          : { exitCode: 1, signal: null, stdout: "", stderr: "" };
      expect((await diagnose({}, fake)).login.status).toBe(expected);
    }
  });

  it("runs the subcommands with the caller's environment", async () => {
    const fake = fakeIo();
    await diagnose({ CODEX_API_KEY: KEY, CODEX_HOME: "/home/u/.codex" }, fake);
    expect(fake.calls.map((call) => call.args.join(" ")).sort()).toEqual([
      "--version",
      "debug models --bundled",
      "login status",
    ]);
    expect(fake.calls.every((call) => call.env.CODEX_HOME === "/home/u/.codex")).toBe(true);
  });

  it("never shows a key in the report, the JSON or the human text (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^sk-[A-Za-z0-9_-]{20,60}$/),
        fc.constantFrom("CODEX_API_KEY", "OPENAI_API_KEY"),
        fc.boolean(),
        async (key, name, loggedIn) => {
          const fake = fakeIo({ loggedIn });
          const base = fake.io.runCommand;
          fake.io.runCommand = async (path, args, env) => {
            const out = await base(path, args, env);
            // A binary that echoes the key must not leak it either.
            return args[0] === "login" ? { ...out, stderr: `${out.stderr}\nkey ${key}` } : out;
          };
          const d = await diagnose({ [name]: key, OPENAI_BASE_URL: `http://127.0.0.1/${key}` }, fake);
          const text = `${JSON.stringify(d)}\n${formatDiagnosis(d, { color: true })}`;
          expect(text).not.toContain(key);
          expect(text).not.toContain(key.slice(3, -4));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("formatDiagnosis", () => {
  it("prints one line per check with fixes, coloured only on request", async () => {
    const d = await diagnose({});
    const plain = formatDiagnosis(d);
    expect(plain).not.toContain("\u001b[");
    expect(plain).toContain("FAIL credential");
    expect(plain).toContain("→ Set CODEX_API_KEY");
    expect(plain.trimEnd().split("\n").at(-1)).toBe("Codex will not start here; fix the FAIL lines above.");
    expect(formatDiagnosis(d, { color: true })).toContain("\u001b[31mFAIL\u001b[0m");
  });
});

describe("maskSecret and parseModelCatalog", () => {
  it("masks long secrets to prefix and last four, short ones entirely", () => {
    expect(maskSecret(KEY)).toBe("sk-...1234");
    expect(maskSecret("short")).toBe("***");
  });

  it("reads slugs from a catalog and rejects anything else", () => {
    expect(parseModelCatalog(CATALOG)).toEqual(["gpt-5.5", "gpt-6-sol"]);
    expect(parseModelCatalog("{}")).toBeUndefined();
    expect(parseModelCatalog("")).toBeUndefined();
  });
});
