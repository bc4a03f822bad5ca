import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codexSessionSettingsSchema, type McpServers, toMcpRunConfig } from "./codexSessionSettings.js";

describe("codexSessionSettingsSchema", () => {
  it("accepts the SDK's values and refuses untrusted, naming the allowed approval policies", () => {
    const ok = codexSessionSettingsSchema.safeParse({
      model: "gpt-5.5",
      approvalPolicy: "on-request",
      sandboxMode: "read-only",
      webSearchMode: "live",
      modelReasoningEffort: "max",
      networkAccessEnabled: true,
      additionalDirectories: ["/data"],
    });
    expect(ok.success).toBe(true);
    const refused = codexSessionSettingsSchema.safeParse({ approvalPolicy: "untrusted" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe(
      'approvalPolicy must be one of "never", "on-request", "on-failure"',
    );
  });

  it("rejects bad MCP servers: unknown keys, bad names, non-http urls", () => {
    for (const mcpServers of [
      { "bad name": { command: "x" } },
      { a: { command: "" } },
      { a: { url: "ftp://x" } },
      { a: { command: "x", token: "t" } },
      { a: { command: "x", env: { "1BAD": "v" } } },
    ]) {
      expect(codexSessionSettingsSchema.safeParse({ mcpServers }).success).toBe(false);
    }
  });
});

describe("toMcpRunConfig", () => {
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
          http_headers: { "X-Team": "a" },
          default_tools_approval_mode: "approve",
        },
      },
    });
    expect(out.env).toEqual({
      FILES_TOKEN: "stdio-secret-1",
      ALPHRED_MCP_REMOTE_DOCS_TOKEN: "http-secret-2",
    });
    expect(out.secrets).toEqual(["stdio-secret-1", "http-secret-2"]);
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
