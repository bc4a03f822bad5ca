import { inspect } from "node:util";
import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  type RecordedRequest,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import type { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { REDACTED } from "./codexRedaction.js";
import { bundledCodexPath, codexLogin } from "./testing/e2e.js";
import { collect } from "./testing/harness.js";

// End-to-end tier for issue 6: the real `codex` binary, spawned by the real SDK through CodexProvider, against
// the loopback emulator. For every secret source, the server echoes the secret (401 body → `Reconnecting...`
// reasons and the error; tool output; agent message) and no event or error surface may show it. Then the
// shell policy: the agent's command must not see the key variables, so the next request carries none.

/** How a case puts its secret into the run. */
interface SecretSource {
  /** Short id, used in the prompt marker. */
  id: string;
  /** The secret value (deliberately not `sk-` shaped: redaction must not rely on the key pattern). */
  secret: string;
  /** `builtin`: OPENAI_BASE_URL (built-in provider, 5 reconnects); `custom`: a model provider in `config`. */
  mode: "builtin" | "custom";
  /** Extra env over the hermetic run's. */
  env?: (run: HermeticRun, baseUrl: string) => Record<string, string | undefined>;
  /** Patch of the custom provider's table (`model_providers.emulator`). */
  provider?: (baseUrl: string) => Record<string, unknown>;
  /** Runs before the provider starts (stores a `codex login`). */
  prepare?: (run: HermeticRun) => Promise<void>;
}

const withUserinfo = (baseUrl: string, password: string) =>
  baseUrl.replace("http://", `http://bob:${encodeURIComponent(password)}@`);

const SOURCES: SecretSource[] = [
  {
    id: "codex-api-key",
    secret: "codex-key-VALUE-7d1e9a0b2c",
    mode: "builtin",
    env: () => ({ CODEX_API_KEY: "codex-key-VALUE-7d1e9a0b2c" }),
  },
  {
    id: "openai-api-key",
    secret: "openai-key-VALUE-3f5a7c9e1b",
    mode: "builtin",
    env: () => ({ CODEX_API_KEY: undefined, OPENAI_API_KEY: "openai-key-VALUE-3f5a7c9e1b" }),
  },
  {
    id: "env-key",
    secret: "acme-provider-key-VALUE-55aa",
    mode: "custom",
    env: () => ({ ACME_API_KEY: "acme-provider-key-VALUE-55aa" }),
    provider: () => ({ env_key: "ACME_API_KEY" }),
  },
  {
    id: "bearer-token",
    secret: "bearer-config-VALUE-8c8c8c8c",
    mode: "custom",
    provider: () => ({ experimental_bearer_token: "bearer-config-VALUE-8c8c8c8c" }),
  },
  {
    id: "base-url-userinfo",
    secret: "url-password-VALUE-4e4e4e",
    mode: "custom",
    provider: (baseUrl) => ({ base_url: withUserinfo(baseUrl, "url-password-VALUE-4e4e4e") }),
  },
  {
    id: "openai-base-url-userinfo",
    secret: "env-url-password-VALUE-6b6b",
    mode: "builtin",
    env: (_run, baseUrl) => ({ OPENAI_BASE_URL: withUserinfo(baseUrl, "env-url-password-VALUE-6b6b") }),
  },
  {
    id: "auth-json",
    secret: "stored-login-key-VALUE-9d9d9d",
    mode: "builtin",
    env: () => ({ CODEX_API_KEY: undefined, OPENAI_API_KEY: undefined }),
    prepare: (run) => codexLogin(run, "stored-login-key-VALUE-9d9d9d", bundledCodexPath()),
  },
];

const msg = (text: string) => ({ type: "message" as const, text });
const echo401 = (secret: string): Turn => ({
  steps: [
    {
      fault: "http",
      status: 401,
      body: {
        error: {
          message: `Incorrect API key provided: ${secret}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    },
  ],
});
const echoTool = (secret: string): Turn => ({
  steps: [
    { items: [{ type: "exec", cmd: `printf 'tool says %s\\n' '${secret}'` }] },
    { items: [msg(`The value was ${secret}, as you asked.`)] },
  ],
});
const SHELL_PROBE = [
  'echo "codex=[$CODEX_API_KEY] openai=[$OPENAI_API_KEY] acme=[$ACME_API_KEY]"',
  'printf %s "$CODEX_API_KEY$OPENAI_API_KEY$ACME_API_KEY" | base64',
  "echo probe-done",
].join("; ");
const shellTurn: Turn = {
  steps: [{ items: [{ type: "exec", cmd: SHELL_PROBE }] }, { items: [msg("shell checked")] }],
};

const TURNS: Record<string, Turn> = {
  "[[sec:shell]]": shellTurn,
  "[[sec:shell-inherit]]": shellTurn,
};
for (const source of SOURCES) {
  TURNS[`[[sec:401:${source.id}]]`] = echo401(source.secret);
  TURNS[`[[sec:tool:${source.id}]]`] = echoTool(source.secret);
}

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ script: byMarker(TURNS) });
});

afterAll(async () => {
  await emulator?.close();
});

interface RunResult {
  events: ProviderEvent[];
  error?: CodexProviderError;
  run: HermeticRun;
}

async function runSecretCase(
  marker: string,
  source: Pick<SecretSource, "mode" | "env" | "provider" | "prepare">,
  settings: { inheritSecretsInShell?: boolean; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  try {
    await source.prepare?.(run);
    let config: CodexConfigObject = {};
    if (source.mode === "custom") {
      const custom = customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject & {
        model_providers: { emulator: CodexConfigObject };
      };
      // Two stream retries: the 401 then shows up as `Reconnecting... n/2 (<reason>)` events too.
      Object.assign(
        custom.model_providers.emulator,
        { stream_max_retries: 2 },
        source.provider?.(emulator.baseUrl),
      );
      config = custom;
    }
    const provider = new CodexProvider({
      env: { ...run.env, ...source.env?.(run, emulator.baseUrl), ...settings.env },
      config,
      ...(settings.inheritSecretsInShell ? { inheritSecretsInShell: true } : {}),
    });
    const result = await collect(
      provider.run(`${marker} please help`, { workingDirectory: run.workingDirectory, timeout: 45_000 }),
    );
    return { ...result, run };
  } finally {
    await run.cleanup();
  }
}

/** Every text a caller can reach: each event as JSON and inspected; the error's every surface and causes. */
function surfaces({ events, error }: RunResult): string {
  const parts = events.flatMap((event) => [JSON.stringify(event), inspect(event, { depth: null })]);
  if (error) {
    parts.push(
      String(error),
      error.message,
      String(error.stack),
      JSON.stringify(error),
      JSON.stringify(error.toJSON()),
      JSON.stringify(error.details),
      inspect(error, { depth: null, showHidden: true }),
    );
    for (let link: unknown = error.cause, depth = 0; link instanceof Error && depth < 10; depth++) {
      parts.push(String(link), link.message, String(link.stack), inspect(link, { depth: null }));
      link = link.cause;
    }
  }
  return parts.join("\n");
}

function reconnects(events: ProviderEvent[]): ProviderEvent[] {
  return events.filter((event) => event.type === "system" && event.metadata?.subtype === "reconnecting");
}

function postsFor(marker: string): RecordedRequest[] {
  return emulator.requests.filter((request) => request.method === "POST" && request.prompt.includes(marker));
}

describe.concurrent("secrets on the real binary: a 401 echoing the secret", () => {
  it.each(SOURCES)("$id: absent from every reconnect reason, event and error surface", async (source) => {
    const marker = `[[sec:401:${source.id}]]`;
    const result = await runSecretCase(marker, source);
    expect(postsFor(marker).length).toBeGreaterThan(0);
    expect(result.error?.code).toBe("CODEX_AUTH_ERROR");
    const retries = reconnects(result.events);
    expect(retries.length, JSON.stringify(result.events)).toBeGreaterThan(0);
    // The echoed secret was there and was replaced: every reason and the upstream message show the marker.
    for (const retry of retries) {
      expect(
        retry.type === "system" && retry.metadata?.subtype === "reconnecting" && retry.metadata.reason,
      ).toContain(REDACTED);
    }
    expect(result.error?.details.upstreamMessage).toContain(REDACTED);
    expect(surfaces(result)).not.toContain(source.secret);
    expect(surfaces(result)).not.toContain(encodeURIComponent(source.secret));
  });
});

describe.concurrent("secrets on the real binary: tool output and agent message carrying the secret", () => {
  it.each(SOURCES)("$id: absent from the command, its output, the message and the result", async (source) => {
    const marker = `[[sec:tool:${source.id}]]`;
    const result = await runSecretCase(marker, source);
    expect(result.error?.toJSON()).toBeUndefined();
    const toolResult = result.events.find((event) => event.type === "tool_result");
    expect(toolResult?.content).toContain(`tool says ${REDACTED}`);
    expect(result.events.at(-1)).toMatchObject({
      type: "result",
      content: `The value was ${REDACTED}, as you asked.`,
    });
    expect(surfaces(result)).not.toContain(source.secret);
  });
});

describe.concurrent("the agent's shell does not see the key variables", () => {
  const key = "shell-codex-key-VALUE-1a2b3c4d";
  const openaiKey = "shell-openai-key-VALUE-5e6f7a8b";
  const acmeKey = "shell-acme-key-VALUE-9c0d1e2f";
  const shellSource: Pick<SecretSource, "mode" | "provider"> = {
    mode: "custom",
    provider: () => ({ env_key: "ACME_API_KEY" }),
  };
  const env = { CODEX_API_KEY: key, OPENAI_API_KEY: openaiKey, ACME_API_KEY: acmeKey };

  it("by default: the command prints empty variables and the next request carries no key", async () => {
    const result = await runSecretCase("[[sec:shell]]", shellSource, { env });
    expect(result.error?.toJSON()).toBeUndefined();
    const followUps = postsFor("[[sec:shell]]").filter((request) => request.toolOutputs > 0);
    expect(followUps.length).toBeGreaterThan(0);
    for (const request of followUps) {
      const body = JSON.stringify(request.body);
      expect(body).toContain("codex=[] openai=[] acme=[]");
      expect(body).toContain("probe-done");
      for (const secret of [key, openaiKey, acmeKey]) {
        expect(body).not.toContain(secret);
        expect(body).not.toContain(Buffer.from(secret).toString("base64").slice(0, 16));
      }
    }
  });

  it("with inheritSecretsInShell: the command sees them (events stay redacted)", async () => {
    const result = await runSecretCase("[[sec:shell-inherit]]", shellSource, {
      env,
      inheritSecretsInShell: true,
    });
    expect(result.error?.toJSON()).toBeUndefined();
    const followUps = postsFor("[[sec:shell-inherit]]").filter((request) => request.toolOutputs > 0);
    expect(JSON.stringify(followUps.map((request) => request.body))).toContain(`codex=[${key}]`);
    const toolResult = result.events.find((event) => event.type === "tool_result");
    expect(toolResult?.content).toContain(`codex=[${REDACTED}]`);
    for (const secret of [key, openaiKey, acmeKey]) expect(surfaces(result)).not.toContain(secret);
  });
});
