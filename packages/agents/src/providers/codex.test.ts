import type { CodexOptions, Input, ThreadEvent, ThreadOptions, TurnOptions } from "@openai/codex-sdk";
import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import { CodexProviderError } from "./codexErrors.js";
import type { CodexClientLike, CodexTurnStream } from "./codexIo.js";
import type { CodexBootstrap, CodexBootstrapper } from "./codexSdkBootstrap.js";

const KEY = "sk-provider-test-key-abcdef123456";
const usage = {
  input_tokens: 10,
  cached_input_tokens: 0,
  cache_write_input_tokens: 0,
  output_tokens: 5,
  reasoning_output_tokens: 0,
};
const okStream: ThreadEvent[] = [
  { type: "thread.started", thread_id: "thr_ok" },
  { type: "turn.started" },
  { type: "item.completed", item: { id: "m1", type: "agent_message", text: "done" } },
  { type: "turn.completed", usage },
];

const boot: CodexBootstrap = {
  authMode: "api_key",
  apiKey: KEY,
  apiKeySource: "CODEX_API_KEY",
  model: "gpt-5.5",
  baseUrl: "http://127.0.0.1:1/v1",
  codexHome: "/tmp/ch",
  codexPath: "/bin/codex",
  childEnv: { PATH: "/usr/bin", CODEX_HOME: "/tmp/ch" },
};

interface Recorded {
  clientOptions?: CodexOptions;
  threadOptions?: ThreadOptions;
  input?: Input;
  signal?: AbortSignal;
  returned: boolean;
}

type Script = (signal: AbortSignal) => AsyncGenerator<ThreadEvent>;

function fakeClient(script: Script, recorded: Recorded): (options: CodexOptions) => CodexClientLike {
  return (clientOptions) => {
    recorded.clientOptions = clientOptions;
    return {
      startThread: (threadOptions) => {
        recorded.threadOptions = threadOptions;
        return {
          runStreamed: async (input: Input, turnOptions?: TurnOptions): Promise<CodexTurnStream> => {
            recorded.input = input;
            recorded.signal = turnOptions?.signal;
            const inner = script(turnOptions?.signal as AbortSignal);
            async function* events(): AsyncGenerator<ThreadEvent> {
              try {
                yield* inner;
              } finally {
                recorded.returned = true;
              }
            }
            return { events: events() };
          },
        };
      },
    };
  };
}

function fromArray(events: unknown[], end?: Error): Script {
  return async function* () {
    for (const event of events) yield event as ThreadEvent;
    if (end) throw end;
  };
}

/** Yields `thread.started`, then stays silent until the run's signal aborts (as the SDK does on abort). */
const hangAfterStart: Script = async function* (signal) {
  yield okStream[0] as ThreadEvent;
  await new Promise((_resolve, reject) =>
    signal.addEventListener("abort", () =>
      reject(new DOMException("The operation was aborted", "AbortError")),
    ),
  );
};

function provider(
  script: Script,
  recorded: Recorded = { returned: false },
  extra: Partial<ConstructorParameters<typeof CodexProvider>[0]> = {},
) {
  const bootstrap: CodexBootstrapper = async () => boot;
  return new CodexProvider({
    env: { CODEX_API_KEY: KEY },
    bootstrap,
    createClient: fakeClient(script, recorded),
    isDirectory: () => true,
    ...extra,
  });
}

async function collect(
  iterable: AsyncIterable<ProviderEvent>,
): Promise<{ events: ProviderEvent[]; error?: CodexProviderError }> {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of iterable) events.push(event);
    return { events };
  } catch (error) {
    if (!CodexProviderError.isInstance(error)) throw error;
    return { events, error };
  }
}

describe("CodexProvider", () => {
  it("passes resolved auth, model, sandbox and prompt pieces to the SDK", async () => {
    const recorded: Recorded = { returned: false };
    const codex = provider(fromArray(okStream), recorded, {
      config: { mcp_servers: { docs: { command: "node" } } },
    });
    const { events, error } = await collect(
      codex.run("fix the bug", {
        workingDirectory: "/repo",
        systemPrompt: " be terse ",
        context: ["ctx", 3],
      }),
    );
    expect(error).toBeUndefined();
    expect(codex.name).toBe("codex");
    expect(events.map((event) => event.type)).toEqual(["system", "assistant", "usage", "result"]);
    expect(recorded.clientOptions).toEqual({
      codexPathOverride: "/bin/codex",
      env: boot.childEnv,
      apiKey: KEY,
      baseUrl: "http://127.0.0.1:1/v1",
      config: {
        mcp_servers: { docs: { command: "node" } },
        shell_environment_policy: { exclude: ["CODEX_API_KEY", "OPENAI_API_KEY"] },
        developer_instructions: "be terse",
      },
    });
    expect(recorded.threadOptions).toEqual({
      model: "gpt-5.5",
      workingDirectory: "/repo",
      sandboxMode: "workspace-write",
      approvalPolicy: "never",
      skipGitRepoCheck: true,
    });
    expect(recorded.input).toEqual([
      { type: "text", text: "ctx" },
      { type: "text", text: "fix the bug" },
    ]);
    expect(recorded.returned).toBe(true);
    expect(recorded.signal?.aborted).toBe(true);
  });

  it("omits optional client options in CLI-login mode with inheritSecretsInShell and passes reasoning effort", async () => {
    const recorded: Recorded = { returned: false };
    const bootstrap: CodexBootstrapper = async () => ({
      ...boot,
      authMode: "cli_login",
      apiKey: undefined,
      baseUrl: undefined,
    });
    const codex = new CodexProvider({
      env: {},
      bootstrap,
      createClient: fakeClient(fromArray(okStream), recorded),
      isDirectory: () => true,
      modelReasoningEffort: "low",
      inheritSecretsInShell: true,
    });
    await collect(codex.run("x", { workingDirectory: "/repo" }));
    expect(recorded.clientOptions).toEqual({ codexPathOverride: "/bin/codex", env: boot.childEnv });
    expect(recorded.threadOptions?.modelReasoningEffort).toBe("low");
  });

  it.each([
    ["an empty prompt", "", { workingDirectory: "/repo" }, "prompt"],
    ["a non-string prompt", 5 as unknown as string, { workingDirectory: "/repo" }, "prompt"],
    ["missing options", "x", undefined as unknown as { workingDirectory: string }, "workingDirectory"],
    ["a bad timeout", "x", { workingDirectory: "/repo", timeout: -1 }, "timeout"],
  ])("rejects %s with CODEX_INVALID_OPTIONS before starting codex", async (_name, prompt, options, field) => {
    const recorded: Recorded = { returned: false };
    const { error } = await collect(provider(fromArray(okStream), recorded).run(prompt, options));
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.message).toContain(field);
    expect(recorded.clientOptions).toBeUndefined();
  });

  it("rejects a working directory that does not exist", async () => {
    const { error } = await collect(
      provider(fromArray(okStream), undefined, { isDirectory: () => false }).run("x", {
        workingDirectory: "/nope",
      }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["workingDirectory"]);
  });

  it("rejects invalid settings at construction", () => {
    expect(() => new CodexProvider({ sandboxMode: "yolo" as "read-only" })).toThrowError(/sandboxMode/);
  });

  it("propagates bootstrap errors unchanged", async () => {
    const failure = new CodexProviderError({ code: "CODEX_AUTH_ERROR", message: "no auth" });
    const codex = new CodexProvider({
      env: {},
      bootstrap: async () => Promise.reject(failure),
      createClient: fakeClient(fromArray(okStream), { returned: false }),
      isDirectory: () => true,
    });
    const { error } = await collect(codex.run("x", { workingDirectory: "/repo" }));
    expect(error).toBe(failure);
  });

  it("classifies the SDK's exit error using the fatal stream message, once, without leaking the key", async () => {
    const message = `unexpected status 401 Unauthorized: Incorrect API key provided: ${KEY}, url: http://127.0.0.1:1/v1/responses`;
    const sdkError = new Error(`Codex Exec exited with code 1: Error: ${message}\n`);
    const { events, error } = await collect(
      provider(fromArray([okStream[0], { type: "error", message }], sdkError)).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(events.map((event) => event.type)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_AUTH_ERROR");
    expect(error?.details.statusCode).toBe(401);
    expect(error?.details.exitCode).toBe(1);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(error?.message).not.toContain(KEY);
    expect(error?.message).not.toContain("Codex Exec exited");
  });

  it("turns a timeout into CODEX_TIMEOUT and tears the turn down", async () => {
    const recorded: Recorded = { returned: false };
    const { events, error } = await collect(
      provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo", timeout: 30 }),
    );
    expect(events.map((event) => event.type)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_TIMEOUT");
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain("30");
    expect(recorded.returned).toBe(true);
  });

  it("lets the caller cancel a silent run with an AbortSignal", async () => {
    const recorded: Recorded = { returned: false };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const { events, error } = await collect(
      provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo", signal: controller.signal }),
    );
    expect(events.map((event) => event.type)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_TIMEOUT");
    expect(error?.details.failureCode).toBe("aborted");
    expect(recorded.returned).toBe(true);
  });

  it("rejects a signal that is not an AbortSignal", async () => {
    const { error } = await collect(
      provider(fromArray(okStream)).run("x", { workingDirectory: "/repo", signal: {} as AbortSignal }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["signal"]);
  });

  it("aborts the child when the consumer breaks early", async () => {
    const recorded: Recorded = { returned: false };
    const codex = provider(fromArray([...okStream]), recorded);
    for await (const event of codex.run("x", { workingDirectory: "/repo" })) {
      expect(event.type).toBe("system");
      break;
    }
    expect(recorded.signal?.aborted).toBe(true);
    expect(recorded.returned).toBe(true);
  });

  it("fails an SDK parse failure as CODEX_INVALID_EVENT", async () => {
    const { error } = await collect(
      provider(fromArray([okStream[0]], new Error("Failed to parse item: {oops"))).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(error?.code).toBe("CODEX_INVALID_EVENT");
  });

  it("fails when the process dies after a clean turn.completed but before exit", async () => {
    const { events, error } = await collect(
      provider(fromArray(okStream, new Error("Codex Exec exited with signal SIGKILL: "))).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(events.map((event) => event.type)).toEqual(["system", "assistant", "usage"]);
    expect(error?.details.signal).toBe("SIGKILL");
  });
});
