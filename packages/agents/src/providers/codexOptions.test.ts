import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexErrors.js";
import { buildTurnInput, MAX_TIMEOUT_MS, parseProviderSettings, parseRunOptions } from "./codexOptions.js";

function invalid(run: () => unknown): CodexProviderError {
  try {
    run();
  } catch (error) {
    if (CodexProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a CodexProviderError");
}

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

  it("drops non-string context entries", () => {
    const options = parseRunOptions({ workingDirectory: "/r", context: ["a", 1, null, "b", { c: 1 }] });
    expect(options.context).toEqual(["a", "b"]);
  });

  it("accepts timeouts up to 2^31-1 ms", () => {
    expect(parseRunOptions({ workingDirectory: "/r", timeout: MAX_TIMEOUT_MS }).timeout).toBe(2_147_483_647);
    expect(parseRunOptions({ workingDirectory: "/r", timeout: 0.5 }).timeout).toBe(0.5);
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
    const error = invalid(() => parseRunOptions(input));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.retryable).toBe(false);
    expect(error.details.classification).toBe("config");
    expect(error.details.path).toEqual(path);
    expect(error.message).toContain(path[0]);
  });

  it.each([null, undefined, "x", 3])("rejects a non-object (%s)", (input) => {
    const error = invalid(() => parseRunOptions(input));
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
      inheritSecretsInShell: false,
    });
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
    const error = invalid(() => parseProviderSettings(input));
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
