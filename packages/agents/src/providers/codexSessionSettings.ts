import type { ApprovalMode, ModelReasoningEffort, SandboxMode, WebSearchMode } from "@openai/codex-sdk";
import { z } from "zod";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject } from "./codexOptions.js";
import type { Exact } from "./exactType.js";

// Issue 9 permissions and MCP servers: the enums the provider's settings schema (codexOptions) validates with,
// and the pure mapping of per-run MCP servers to codex config. Enums are checked against the SDK's own types in both directions
// (`Exact`), so an SDK bump that adds or removes a value fails to compile here.

/** Approval policies (the SDK's `ApprovalMode`); the `app-server` transport accepts all of them. */
export const APPROVAL_POLICIES = ["never", "on-request", "on-failure", "untrusted"] as const;
true satisfies Exact<(typeof APPROVAL_POLICIES)[number], ApprovalMode>;

/** Approval policies the pinned binary's exec mode accepts: the SDK's `ApprovalMode` minus `untrusted`, which
 * 0.150–0.169 refuse at run time ("approval_policy = \"untrusted\" is no longer supported"). */
export const EXEC_APPROVAL_POLICIES = ["never", "on-request", "on-failure"] as const;
true satisfies Exact<(typeof EXEC_APPROVAL_POLICIES)[number], Exclude<ApprovalMode, "untrusted">>;

/** Sandbox modes (the SDK's `SandboxMode`). */
export const SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;
true satisfies Exact<(typeof SANDBOX_MODES)[number], SandboxMode>;

/** Web search modes (the SDK's `WebSearchMode`). */
export const WEB_SEARCH_MODES = ["disabled", "cached", "live"] as const;
true satisfies Exact<(typeof WEB_SEARCH_MODES)[number], WebSearchMode>;

/** Reasoning efforts (the SDK's `ModelReasoningEffort`); the binary maps some per model (0.163 + gpt-5.5 sends
 * `ultra` as `xhigh` and `persistent` as `disabled`). */
export const REASONING_EFFORTS = [
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
  "ultra",
  "persistent",
] as const;
true satisfies Exact<(typeof REASONING_EFFORTS)[number], ModelReasoningEffort>;

/** MCP server names: what codex accepts as a `mcp_servers.<name>` key. */
const serverName = z.string().regex(/^[A-Za-z0-9_-]+$/, "MCP server names must match [A-Za-z0-9_-]+");
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment variable names must match [A-Za-z_][A-Za-z0-9_]*");

/** A per-run MCP server over stdio. `env` values are secrets: they reach the server through the child env. */
export const stdioMcpServerSchema = z
  .object({
    command: z.string().min(1, "command must be a non-empty string"),
    args: z.array(z.string()).optional(),
    env: z.record(envName, z.string()).optional(),
    cwd: z.string().min(1).optional(),
    startupTimeoutSec: z.number().positive().optional(),
    toolTimeoutSec: z.number().positive().optional(),
    enabledTools: z.array(z.string()).optional(),
  })
  .strict();

/** A per-run MCP server over streamable HTTP. `bearerToken` and `headers` values never ride on argv. */
export const httpMcpServerSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "url must be an http(s) URL" }),
    bearerToken: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    startupTimeoutSec: z.number().positive().optional(),
    toolTimeoutSec: z.number().positive().optional(),
    enabledTools: z.array(z.string()).optional(),
  })
  .strict();

/** Per-run MCP servers by name: stdio (`command`) or streamable HTTP (`url`). */
export const mcpServersSchema = z.record(serverName, z.union([stdioMcpServerSchema, httpMcpServerSchema]), {
  error: "mcpServers must be an object of MCP servers by name",
});

/** Per-run MCP servers, by name. */
export type McpServers = z.output<typeof mcpServersSchema>;

/** What `mcpServers` becomes for one run. */
export interface McpRunConfig {
  /** `mcp_servers.*` config overrides (ride on argv: no secrets in here). */
  config: CodexConfigObject;
  /** Variables to add to the codex child's env: the secrets, under generated names. */
  env: Record<string, string>;
  /** Secret values, for the run's redactor and `shell_environment_policy.exclude`. */
  secrets: string[];
}

const secretVar = (server: string, key: string) =>
  `ALPHRED_MCP_${server.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${key.toUpperCase()}`;

/**
 * Maps per-run MCP servers to codex config. Secrets (stdio `env` values, HTTP `bearerToken` and `headers` values)
 * go to the child's environment and are referenced by name (`env_vars`, `bearer_token_env_var`,
 * `env_http_headers`), because `--config` values are visible to every process on the machine through the command
 * line. A variable that would replace a different value — of `childEnv` (the codex process's own environment) or
 * of another server — is `CODEX_INVALID_OPTIONS`: codex would silently get the wrong one.
 */
export function toMcpRunConfig(
  servers: McpServers,
  childEnv: Readonly<Record<string, string>> = {},
): McpRunConfig {
  const config: CodexConfigObject = {};
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  const put = (name: string, value: string, path: string[]) => {
    const taken = env[name] ?? childEnv[name];
    if (taken !== undefined && taken !== value) {
      throw new CodexProviderError({
        code: "CODEX_INVALID_OPTIONS",
        message: `Invalid run options: ${path.join(".")}: environment variable ${name} is already set for codex to another value; rename it or the server`,
        details: { path, envVar: name },
      });
    }
    env[name] = value;
    secrets.push(value);
  };
  for (const [name, server] of Object.entries(servers)) {
    const common: CodexConfigObject = {
      default_tools_approval_mode: "approve",
      ...(server.startupTimeoutSec !== undefined ? { startup_timeout_sec: server.startupTimeoutSec } : {}),
      ...(server.toolTimeoutSec !== undefined ? { tool_timeout_sec: server.toolTimeoutSec } : {}),
      ...(server.enabledTools ? { enabled_tools: server.enabledTools } : {}),
    };
    if ("command" in server) {
      const forwarded: string[] = [];
      for (const [key, value] of Object.entries(server.env ?? {})) {
        // The server sees its variable under its own name only if codex forwards it: keep the name, move the value.
        put(key, value, ["mcpServers", name, "env", key]);
        forwarded.push(key);
      }
      config[name] = {
        command: server.command,
        ...(server.args ? { args: server.args } : {}),
        ...(server.cwd ? { cwd: server.cwd } : {}),
        ...(forwarded.length > 0 ? { env_vars: forwarded } : {}),
        ...common,
      };
    } else {
      const tokenVar = server.bearerToken ? secretVar(name, "token") : undefined;
      if (tokenVar && server.bearerToken)
        put(tokenVar, server.bearerToken, ["mcpServers", name, "bearerToken"]);
      const headerVars: CodexConfigObject = {};
      Object.entries(server.headers ?? {}).forEach(([header, value], index) => {
        const variable = secretVar(name, `header_${index}`);
        put(variable, value, ["mcpServers", name, "headers", header]);
        headerVars[header] = variable;
      });
      config[name] = {
        url: server.url,
        ...(tokenVar ? { bearer_token_env_var: tokenVar } : {}),
        ...(Object.keys(headerVars).length > 0 ? { env_http_headers: headerVars } : {}),
        ...common,
      };
    }
  }
  return { config: Object.keys(config).length > 0 ? { mcp_servers: config } : {}, env, secrets };
}
