import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import type { CodexBootstrap } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import { REDACTED } from "./codexRedaction.js";
import {
  collect as drain,
  fakeBoot,
  fakeClient,
  type Recorded,
  rawUsage,
  record,
  replay,
} from "./testing/harness.js";

// The chokepoint in `run()` with typed fakes: whatever the stream, the SDK or the bootstrap carries, no secret
// the run knows of reaches a caller, and the shell policy reaches the SDK's config.

const KEY = "plain-key-value-without-sk-shape";
const ENV_KEY = "acme-env-key-value-0001";
const BEARER = "config-bearer-token-0002";
const usage = rawUsage(1, 0, 1, 0);

const boot: CodexBootstrap = { ...fakeBoot(KEY), codexHome: "/nonexistent/codex-home" };

const config = {
  model_providers: {
    acme: { env_key: "ACME_KEY", experimental_bearer_token: BEARER, base_url: "http://127.0.0.1:1/v1" },
  },
};

function collect(options: CodexProviderOptions, workingDirectory = "/repo") {
  return drain(new CodexProvider({ isDirectory: () => true, ...options }).run("go", { workingDirectory }));
}

function everything(result: { events: ProviderEvent[]; error?: unknown }): string {
  const { events, error } = result;
  const parts = [JSON.stringify(events), inspect(events, { depth: null })];
  if (error instanceof Error) {
    parts.push(String(error), String(error.stack), JSON.stringify(error));
    parts.push(inspect(error, { depth: null, showHidden: true }));
  }
  return parts.join("\n");
}

const env = { CODEX_API_KEY: KEY, ACME_KEY: ENV_KEY };

describe("CodexProvider: one redaction chokepoint", () => {
  it("redacts every secret from reconnect reasons, tool metadata, messages and the thrown error", async () => {
    const all = `${KEY} ${ENV_KEY} ${BEARER}`;
    const result = await collect({
      env,
      config,
      bootstrap: async () => boot,
      createClient: fakeClient(
        replay(
          [
            { type: "thread.started", thread_id: "t1" },
            { type: "turn.started" },
            { type: "error", message: `Reconnecting... 1/5 (unexpected status 401: ${all})` },
            {
              type: "item.completed",
              item: {
                id: "c1",
                type: "mcp_tool_call",
                server: "s",
                tool: "t",
                arguments: { deep: [{ value: all }] },
                result: { content: [{ type: "text", text: all }], structured_content: { nested: { all } } },
                status: "completed",
              },
            },
            { type: "item.completed", item: { id: "m1", type: "agent_message", text: all } },
            { type: "error", message: `unexpected status 401 Unauthorized: ${all}` },
            { type: "turn.failed", error: { message: `unexpected status 401 Unauthorized: ${all}` } },
          ],
          Object.assign(new Error(`Codex Exec exited with code 1: ${all}`), { body: { all } }),
        ),
      ),
    });
    expect(CodexProviderError.isInstance(result.error)).toBe(true);
    expect(JSON.stringify(result.events)).toContain(REDACTED);
    for (const secret of [KEY, ENV_KEY, BEARER]) expect(everything(result)).not.toContain(secret);
  });

  it("redacts a bootstrap failure that carries a key, before the bootstrap resolved anything", async () => {
    const result = await collect({
      env,
      config,
      bootstrap: async () => {
        throw new CodexProviderError({
          code: "CODEX_INVALID_CONFIG",
          message: `bad setup ${KEY} ${BEARER}`,
          details: { stderr: ENV_KEY },
        });
      },
    });
    expect((result.error as CodexProviderError).code).toBe("CODEX_INVALID_CONFIG");
    for (const secret of [KEY, ENV_KEY, BEARER]) expect(everything(result)).not.toContain(secret);
  });

  it("redacts a run-option validation error, raised before anything was bootstrapped", async () => {
    const result = await collect({ env, config, isDirectory: () => false }, `/work/${KEY}/${BEARER}`);
    expect(result.error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(result.error?.message).toContain(`/work/${REDACTED}/${REDACTED}`);
    for (const secret of [KEY, BEARER]) expect(everything(result)).not.toContain(secret);
  });

  it("leaves clean events alone", async () => {
    const result = await collect({
      env,
      bootstrap: async () => boot,
      createClient: fakeClient(
        replay([
          { type: "thread.started", thread_id: "t1" },
          { type: "item.completed", item: { id: "m1", type: "agent_message", text: "all clean" } },
          { type: "turn.completed", usage },
        ]),
      ),
    });
    expect(result.error).toBeUndefined();
    expect(result.events.at(-1)).toMatchObject({ type: "result", content: "all clean" });
  });
});

describe("CodexProvider: CLI-login tokens from CODEX_HOME/auth.json", () => {
  let codexHome: string;
  const access = "eyJhbGciOiJSUzI1NiJ9.access-token-payload.signature";
  const refresh = "refresh-token-value-0003";

  beforeAll(async () => {
    codexHome = await mkdtemp(path.join(os.tmpdir(), "alphred-auth-json-"));
    await writeFile(
      path.join(codexHome, "auth.json"),
      JSON.stringify({ OPENAI_API_KEY: null, tokens: { access_token: access, refresh_token: refresh } }),
    );
  });
  afterAll(() => rm(codexHome, { recursive: true, force: true }));

  it("redacts the stored tokens", async () => {
    const result = await collect({
      env: {},
      bootstrap: async () => ({ ...boot, authMode: "cli_login", apiKey: undefined, codexHome }),
      createClient: fakeClient(
        replay([
          { type: "thread.started", thread_id: "t1" },
          { type: "error", message: `Reconnecting... 1/5 (429: ${access} ${refresh})` },
          { type: "item.completed", item: { id: "m1", type: "agent_message", text: `${access} ${refresh}` } },
          { type: "turn.completed", usage },
        ]),
      ),
    });
    expect(result.events.at(-1)).toMatchObject({ type: "result", content: `${REDACTED} ${REDACTED}` });
    for (const token of [access, refresh]) expect(everything(result)).not.toContain(token);
  });
});

describe("CodexProvider: shell environment policy", () => {
  it("excludes the key variables and the providers' env_key, merged into the user's policy", async () => {
    const seen: Recorded = record();
    await collect({
      env,
      config: { ...config, shell_environment_policy: { inherit: "core", exclude: ["AWS_*"] } },
      bootstrap: async () => boot,
      createClient: fakeClient(replay([]), seen),
    });
    expect(seen.clientOptions?.config?.shell_environment_policy).toEqual({
      inherit: "core",
      exclude: ["AWS_*", "CODEX_API_KEY", "OPENAI_API_KEY", "ACME_KEY"],
    });
  });

  it("passes the user's config unchanged with inheritSecretsInShell", async () => {
    const seen: Recorded = record();
    await collect({
      env,
      config,
      inheritSecretsInShell: true,
      bootstrap: async () => boot,
      createClient: fakeClient(replay([]), seen),
    });
    expect(seen.clientOptions?.config).toEqual(config);
  });
});
