import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexError.js";
import { parseProviderSettings, parseRunOptions } from "./codexOptions.js";
import { type McpServers, toMcpRunConfig } from "./codexSessionSettings.js";

const refusal = (run: () => unknown): CodexProviderError | undefined => {
  try {
    run();
  } catch (error) {
    if (CodexProviderError.isInstance(error)) return error;
    throw error;
  }
  return undefined;
};

describe("session settings in the provider's schemas", () => {
  it("accepts the SDK's values and refuses untrusted on exec, naming the allowed approval policies", () => {
    const ok = parseProviderSettings({
      model: " gpt-5.5 ",
      approvalPolicy: "on-request",
      sandboxMode: "read-only",
      webSearchMode: "live",
      modelReasoningEffort: "max",
      networkAccessEnabled: true,
      additionalDirectories: ["/data"],
    });
    expect(ok).toMatchObject({
      model: "gpt-5.5",
      approvalPolicy: "on-request",
      additionalDirectories: ["/data"],
    });
    const refused = refusal(() => parseProviderSettings({ approvalPolicy: "untrusted" }));
    expect(refused?.code).toBe("CODEX_INVALID_CONFIG");
    expect(refused?.message).toBe(
      'Invalid CodexProvider settings: approvalPolicy: approvalPolicy must be one of "never", "on-request", "on-failure" with transport "exec" ("untrusted" is refused by codex exec since 0.150; transport "app-server" accepts it)',
    );
    expect(refused?.details.path).toEqual(["approvalPolicy"]);
    expect(
      refusal(() => parseProviderSettings({ approvalPolicy: "untrusted", transport: "exec" }))?.code,
    ).toBe("CODEX_INVALID_CONFIG");
    expect(parseProviderSettings({ approvalPolicy: "untrusted", transport: "app-server" })).toMatchObject({
      approvalPolicy: "untrusted",
      transport: "app-server",
    });
    expect(refusal(() => parseProviderSettings({ approvalPolicy: "sometimes" }))?.message).toBe(
      'Invalid CodexProvider settings: approvalPolicy: approvalPolicy must be one of "never", "on-request", "on-failure", "untrusted"',
    );
    for (const bad of [{ webSearchMode: "on" }, { model: " " }, { networkAccessEnabled: "yes" }]) {
      expect(refusal(() => parseProviderSettings(bad))?.code).toBe("CODEX_INVALID_CONFIG");
    }
  });

  it("rejects bad MCP servers: unknown keys, bad names, non-http urls", () => {
    for (const mcpServers of [
      { "bad name": { command: "x" } },
      { a: { command: "" } },
      { a: { url: "ftp://x" } },
      { a: { command: "x", token: "t" } },
      { a: { command: "x", env: { "1BAD": "v" } } },
    ]) {
      const error = refusal(() => parseRunOptions({ workingDirectory: "/w", mcpServers }));
      expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
      expect(error?.details.path).toEqual(expect.arrayContaining(["mcpServers"]));
    }
  });
});

describe("toMcpRunConfig", () => {
  it("refuses a variable that would replace another value for codex; the same value is fine", () => {
    const clash = (run: () => unknown) => refusal(run);
    expect(
      clash(() => toMcpRunConfig({ s: { command: "x", env: { PATH: "/evil" } } }, { PATH: "/usr/bin" })),
    ).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message:
        "Invalid run options: mcpServers.s.env.PATH: environment variable PATH is already set for codex to another value; rename it or the server",
      details: { path: ["mcpServers", "s", "env", "PATH"], envVar: "PATH" },
    });
    expect(
      clash(() =>
        toMcpRunConfig({
          "a-b": { url: "http://127.0.0.1:1/m", bearerToken: "t1" },
          a_b: { url: "http://127.0.0.1:1/n", bearerToken: "t2" },
        }),
      )?.details.envVar,
    ).toBe("ALPHRED_MCP_A_B_TOKEN");
    expect(
      toMcpRunConfig(
        { s: { command: "x", env: { SHARED: "v" } }, t: { command: "y", env: { SHARED: "v" } } },
        { SHARED: "v" },
      ).env,
    ).toEqual({ SHARED: "v" });
  });

  it("maps stdio and streamable HTTP servers; secrets go to the env, referenced by name", () => {
    const out = toMcpRunConfig({
      files: {
        command: "node",
        args: ["srv.mjs"],
        env: { FILES_TOKEN: "stdio-secret-1" },
        toolTimeoutSec: 30,
      },
      "remote-docs": {
        url: "https://mcp.example.com/mcp",
        bearerToken: "http-secret-2",
        headers: { "X-Team": "a" },
      },
    });
    expect(out.config).toEqual({
      mcp_servers: {
        files: {
          command: "node",
          args: ["srv.mjs"],
          env_vars: ["FILES_TOKEN"],
          default_tools_approval_mode: "approve",
          tool_timeout_sec: 30,
        },
        "remote-docs": {
          url: "https://mcp.example.com/mcp",
          bearer_token_env_var: "ALPHRED_MCP_REMOTE_DOCS_TOKEN",
          env_http_headers: { "X-Team": "ALPHRED_MCP_REMOTE_DOCS_HEADER_0" },
          default_tools_approval_mode: "approve",
        },
      },
    });
    expect(out.env).toEqual({
      FILES_TOKEN: "stdio-secret-1",
      ALPHRED_MCP_REMOTE_DOCS_TOKEN: "http-secret-2",
      ALPHRED_MCP_REMOTE_DOCS_HEADER_0: "a",
    });
    expect(out.secrets).toEqual(["stdio-secret-1", "http-secret-2", "a"]);
    expect(toMcpRunConfig({})).toEqual({ config: {}, env: {}, secrets: [] });
  });

  it("never puts a secret in the config that rides on argv (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), fc.string({ minLength: 8 }), (stdioSecret, token) => {
        const servers: McpServers = {
          s: { command: "node", env: { S_KEY: stdioSecret } },
          h: { url: "https://h.example/mcp", bearerToken: token },
        };
        const out = toMcpRunConfig(servers);
        const argv = JSON.stringify(out.config);
        expect(argv).not.toContain(JSON.stringify(stdioSecret).slice(1, -1));
        expect(argv).not.toContain(JSON.stringify(token).slice(1, -1));
        expect(out.secrets).toEqual([stdioSecret, token]);
      }),
    );
  });
});
