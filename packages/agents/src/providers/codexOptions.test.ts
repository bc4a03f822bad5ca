import path from "node:path";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexError.js";
import {
  buildTurnInput,
  MAX_ARG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_INPUT_CHARS,
  MAX_TIMEOUT_MS,
  parseProviderOptions,
  parseProviderSettings,
  parseRunInput,
  parseRunOptions,
} from "./codexOptions.js";
import { thrownCodexError } from "./testing/harness.js";

describe("parseRunOptions", () => {
  it("accepts the minimal options and leaves optional fields unset", () => {
    expect(parseRunOptions({ workingDirectory: "/repo" })).toEqual({ workingDirectory: "/repo" });
  });

  it("trims systemPrompt and ignores empty values", () => {
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: "  be brief  " }).systemPrompt).toBe(
      "be brief",
    );
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: "   " }).systemPrompt).toBeUndefined();
  });

  it("rejects non-string context entries, naming the index", () => {
    expect(() => parseRunOptions({ workingDirectory: "/r", context: ["a", 1] })).toThrowError(/context\.1/);
  });

  it("accepts timeouts up to 2^31-1 ms", () => {
    expect(parseRunOptions({ workingDirectory: "/r", timeout: MAX_TIMEOUT_MS }).timeout).toBe(2_147_483_647);
    expect(() => parseRunOptions({ workingDirectory: "/r", timeout: 1.5 })).toThrowError(/whole number/);
  });

  it.each([
    ["missing workingDirectory", {}, ["workingDirectory"]],
    ["blank workingDirectory", { workingDirectory: "   " }, ["workingDirectory"]],
    ["numeric workingDirectory", { workingDirectory: 7 }, ["workingDirectory"]],
    ["zero timeout", { workingDirectory: "/r", timeout: 0 }, ["timeout"]],
    ["negative timeout", { workingDirectory: "/r", timeout: -5 }, ["timeout"]],
    ["too large timeout", { workingDirectory: "/r", timeout: MAX_TIMEOUT_MS + 1 }, ["timeout"]],
    ["NaN timeout", { workingDirectory: "/r", timeout: Number.NaN }, ["timeout"]],
    ["infinite timeout", { workingDirectory: "/r", timeout: Number.POSITIVE_INFINITY }, ["timeout"]],
    ["string timeout", { workingDirectory: "/r", timeout: "5000" }, ["timeout"]],
    ["context not an array", { workingDirectory: "/r", context: "abc" }, ["context"]],
    ["systemPrompt not a string", { workingDirectory: "/r", systemPrompt: 42 }, ["systemPrompt"]],
  ])("rejects %s with CODEX_INVALID_OPTIONS naming the field", (_name, input, path) => {
    const error = thrownCodexError(() => parseRunOptions(input));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.retryable).toBe(false);
    expect(error.details.classification).toBe("config");
    expect(error.details.path).toEqual(path);
    expect(error.message).toContain(path[0]);
  });

  it.each([null, undefined, "x", 3])("rejects a non-object (%s)", (input) => {
    const error = thrownCodexError(() => parseRunOptions(input));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.message).toMatch(/workingDirectory/);
  });
});

describe("parseProviderSettings", () => {
  it("applies unattended defaults", () => {
    expect(parseProviderSettings(undefined)).toEqual({
      sandboxMode: "workspace-write",
      approvalPolicy: "never",
      skipGitRepoCheck: true,
      failFastReconnects: true,
      transport: "exec",
      inheritSecretsInShell: false,
    });
  });

  it("accepts the app-server transport settings and rejects bad ones", () => {
    const onApproval = () => "accept" as const;
    expect(
      parseProviderSettings({
        transport: "app-server",
        onApproval,
        approvalTimeoutMs: 500,
        appServerIdleMs: 1000,
      }),
    ).toMatchObject({ transport: "app-server", onApproval, approvalTimeoutMs: 500, appServerIdleMs: 1000 });
    expect(() => parseProviderSettings({ transport: "websocket" })).toThrow(/transport/);
    expect(() => parseProviderSettings({ onApproval: "accept" })).toThrow(/onApproval must be a function/);
    expect(() => parseProviderSettings({ appServerIdleMs: 0 })).toThrow(/appServerIdleMs/);
  });

  it("accepts nested Codex config overrides", () => {
    const config = {
      developer_instructions: "x",
      model_providers: {
        emu: { base_url: "http://127.0.0.1:1/v1", request_max_retries: 0, supports_websockets: false },
      },
      mcp_servers: { docs: { command: "node", args: ["server.js"] } },
    };
    expect(parseProviderSettings({ config }).config).toEqual(config);
  });

  it.each([
    ["a null config value", { config: { a: null } }],
    ["a non-finite number", { config: { a: Number.POSITIVE_INFINITY } }],
    ["a key with spaces", { config: { "bad key": 1 } }],
    ["a function value", { config: { a: () => 1 } }],
    ["an unknown sandbox mode", { sandboxMode: "yolo" }],
    ["an unknown approval policy", { approvalPolicy: "sometimes" }],
  ])("rejects %s with CODEX_INVALID_CONFIG", (_name, input) => {
    const error = thrownCodexError(() => parseProviderSettings(input));
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(error.message).toMatch(/^Invalid CodexProvider settings: /);
  });
});

describe("buildTurnInput", () => {
  it("puts context passages before the prompt", () => {
    expect(buildTurnInput("do it", { context: ["ctx1", "ctx2"] })).toEqual([
      { type: "text", text: "ctx1" },
      { type: "text", text: "ctx2" },
      { type: "text", text: "do it" },
    ]);
    expect(buildTurnInput("only", {})).toEqual([{ type: "text", text: "only" }]);
  });
});

describe("strict inputs", () => {
  const code = (fn: () => unknown): unknown => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return CodexProviderError.isInstance(error) ? { code: error.code, message: error.message } : error;
    }
  };

  it("rejects unknown option keys by name, keeping the ZodError as cause", () => {
    expect(code(() => parseRunOptions({ workingDirectory: "/r", timeOut: 5 }))).toEqual({
      code: "CODEX_INVALID_OPTIONS",
      message: 'Invalid run options: timeOut: unknown option "timeOut"',
    });
    expect(code(() => parseProviderOptions({ sandbox: "read-only" }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining('unknown option "sandbox"'),
    });
    try {
      parseRunOptions({ workingDirectory: "/r", extra: 1 });
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(((error as Error).cause as Error).name).toBe("ZodError");
    }
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["an array", []],
    ["a string", "x"],
  ])("rejects %s as the constructor argument", (_name, value) => {
    expect(code(() => parseProviderOptions(value))).toMatchObject({ code: "CODEX_INVALID_CONFIG" });
  });

  it("rejects non-string env values and non-function seams, naming the key", () => {
    expect(code(() => parseProviderOptions({ env: { CODEX_API_KEY: 123 } }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining("env.CODEX_API_KEY"),
    });
    expect(code(() => parseProviderOptions({ now: 5 }))).toMatchObject({
      message: expect.stringContaining("now must be a function"),
    });
    expect(parseProviderOptions({ env: { A: "1", B: undefined }, now: () => 1 }).seams.env).toEqual({
      A: "1",
      B: undefined,
    });
  });

  it("rejects cyclic, too deep and argv-overflowing config", () => {
    const cyclic: Record<string, unknown> = { a: { b: 1 } };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(code(() => parseProviderSettings({ config: cyclic }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining("cyclic"),
    });
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let level = 0; level < 2000; level++) node = node.k = {} as Record<string, unknown>;
    expect(code(() => parseProviderSettings({ config: deep }))).toMatchObject({
      message: expect.stringContaining(`deeper than ${MAX_CONFIG_DEPTH}`),
    });
    expect(code(() => parseProviderSettings({ config: { big: "x".repeat(MAX_ARG_BYTES) } }))).toMatchObject({
      message: expect.stringContaining("config.big"),
    });
    expect(
      code(() => parseProviderSettings({ config: { list: ["x".repeat(MAX_ARG_BYTES)] } })),
    ).toMatchObject({
      message: expect.stringContaining("config.list"),
    });
    expect(parseProviderSettings({ config: { shared: [1, 2], again: { x: [1, 2] } } }).config).toBeDefined();
  });

  it("takes only whole-millisecond timeout and idleTimeout", () => {
    expect(parseRunOptions({ workingDirectory: "/r", idleTimeout: 500 }).idleTimeout).toBe(500);
    expect(code(() => parseRunOptions({ workingDirectory: "/r", idleTimeout: 0.5 }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining("idleTimeout"),
    });
  });

  it("resolves workingDirectory to an absolute path, so a flag-like name is never read as a flag", () => {
    expect(parseRunOptions({ workingDirectory: "--version" }).workingDirectory).toBe(
      path.resolve("--version"),
    );
  });

  it("rejects a systemPrompt that cannot fit one command-line argument, up front", () => {
    const fits = "x".repeat(MAX_ARG_BYTES - 100);
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: fits }).systemPrompt).toBe(fits);
    expect(
      code(() => parseRunOptions({ workingDirectory: "/r", systemPrompt: "x".repeat(1_048_576) })),
    ).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining("systemPrompt"),
    });
    // Quotes and newlines grow when quoted: the check counts the argument as the SDK builds it.
    expect(
      code(() =>
        parseRunOptions({ workingDirectory: "/r", systemPrompt: '"'.repeat(MAX_ARG_BYTES / 2 + 10) }),
      ),
    ).toMatchObject({ code: "CODEX_INVALID_OPTIONS" });
  });

  it("checks the prompt's length with its context before anything spawns", () => {
    const half = "y".repeat(MAX_INPUT_CHARS / 2);
    expect(parseRunInput(half, { workingDirectory: "/r", context: ["c"] }).input).toHaveLength(2);
    expect(code(() => parseRunInput(half, { workingDirectory: "/r", context: [half] }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining(`at most ${MAX_INPUT_CHARS}`),
    });
    expect(code(() => parseRunInput("   ", { workingDirectory: "/r" }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
    });
  });
});
