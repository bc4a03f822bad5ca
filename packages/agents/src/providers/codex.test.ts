import type { ThreadEvent } from "@openai/codex-sdk";
import { describe, expect, it } from "vitest";
import { CodexProvider, type CodexProviderOptions, FATAL_EXIT_GRACE_MS } from "./codex.js";
import type { CodexBootstrap, CodexBootstrapper } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import {
  codexProcessesUsing,
  collect,
  fakeBoot,
  fakeClient,
  messageTurn,
  type Recorded,
  rawUsage,
  record,
  replay,
  replayThenHang,
  type Script,
  types,
} from "./testing/harness.js";

const KEY = "sk-provider-test-key-abcdef123456";
const usage = rawUsage(10, 0, 5, 0);
const okStream: ThreadEvent[] = messageTurn("done", usage, "thr_ok");

const boot: CodexBootstrap = fakeBoot(KEY);

const hangAfterStart = replayThenHang([okStream[0]]);

function provider(script: Script, recorded: Recorded = record(), extra: Partial<CodexProviderOptions> = {}) {
  const bootstrap: CodexBootstrapper = async () => boot;
  return new CodexProvider({
    env: { CODEX_API_KEY: KEY },
    bootstrap,
    createClient: fakeClient(script, recorded),
    isDirectory: () => true,
    ...extra,
  });
}

describe("CodexProvider", () => {
  it("passes resolved auth, model, sandbox and prompt pieces to the SDK", async () => {
    const recorded: Recorded = record();
    const codex = provider(replay(okStream), recorded, {
      config: { mcp_servers: { docs: { command: "node" } } },
    });
    const { events, error } = await collect(
      codex.run("fix the bug", {
        workingDirectory: "/repo",
        systemPrompt: " be terse ",
        context: ["ctx"],
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
    const recorded: Recorded = record();
    const bootstrap: CodexBootstrapper = async () => ({
      ...boot,
      authMode: "cli_login",
      apiKey: undefined,
      baseUrl: undefined,
    });
    const codex = new CodexProvider({
      env: {},
      bootstrap,
      createClient: fakeClient(replay(okStream), recorded),
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
    const recorded: Recorded = record();
    const { error } = await collect(provider(replay(okStream), recorded).run(prompt, options));
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.message).toContain(field);
    expect(recorded.clientOptions).toBeUndefined();
  });

  it("rejects a working directory that does not exist", async () => {
    const { error } = await collect(
      provider(replay(okStream), undefined, { isDirectory: () => false }).run("x", {
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
      createClient: fakeClient(replay(okStream), record()),
      isDirectory: () => true,
    });
    const { error } = await collect(codex.run("x", { workingDirectory: "/repo" }));
    expect(error).toBe(failure);
  });

  it("classifies the SDK's exit error using the fatal stream message, once, without leaking the key", async () => {
    const message = `unexpected status 401 Unauthorized: Incorrect API key provided: ${KEY}, url: http://127.0.0.1:1/v1/responses`;
    const sdkError = new Error(`Codex Exec exited with code 1: Error: ${message}\n`);
    const { events, error } = await collect(
      provider(replay([okStream[0], { type: "error", message }], sdkError)).run("x", {
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
    const recorded: Recorded = record();
    const { events, error } = await collect(
      provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo", timeout: 30 }),
    );
    expect(events.map((event) => event.type)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_TIMEOUT");
    expect(error?.retryable).toBe(true);
    expect(error?.message).toContain("30");
    expect(error?.details.timeoutKind).toBe("total");
    expect(recorded.returned).toBe(true);
  });

  it("lets the caller cancel a silent run with an AbortSignal", async () => {
    const recorded: Recorded = record();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const { events, error } = await collect(
      provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo", signal: controller.signal }),
    );
    expect(events.map((event) => event.type)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_ABORTED");
    expect(error?.retryable).toBe(false);
    expect(error?.details.classification).toBe("aborted");
    expect(error?.cause).toBe(controller.signal.reason);
    expect(error?.details.signal).toBe("SIGTERM");
    expect(recorded.returned).toBe(true);
  });

  it("rejects a signal that is not an AbortSignal", async () => {
    const { error } = await collect(
      provider(replay(okStream)).run("x", { workingDirectory: "/repo", signal: {} as AbortSignal }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["signal"]);
  });

  it("aborts the child when the consumer breaks early", async () => {
    const recorded: Recorded = record();
    const codex = provider(replay([...okStream]), recorded);
    for await (const event of codex.run("x", { workingDirectory: "/repo" })) {
      expect(event.type).toBe("system");
      break;
    }
    expect(recorded.signal?.aborted).toBe(true);
    expect(recorded.returned).toBe(true);
  });

  it("fails an SDK parse failure as CODEX_INVALID_EVENT", async () => {
    const { error } = await collect(
      provider(replay([okStream[0]], new Error("Failed to parse item: {oops"))).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(error?.code).toBe("CODEX_INVALID_EVENT");
  });

  it("fails when the process dies after a clean turn.completed but before exit", async () => {
    const { events, error } = await collect(
      provider(replay(okStream, new Error("Codex Exec exited with signal SIGKILL: "))).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(events.map((event) => event.type)).toEqual(["system", "assistant", "usage"]);
    expect(error?.details.signal).toBe("SIGKILL");
  });

  it("reports an already-aborted signal as CODEX_ABORTED without spawning", async () => {
    const recorded = record();
    const reason = new Error("user cancelled");
    const { error } = await collect(
      provider(replay(okStream), recorded).run("x", {
        workingDirectory: "/repo",
        signal: AbortSignal.abort(reason),
      }),
    );
    expect(error?.code).toBe("CODEX_ABORTED");
    expect(error?.cause).toBe(reason);
    expect(recorded.started).toBe(0);
  });

  it("ends a silent run after idleTimeout with timeoutKind idle", async () => {
    const { events, error } = await collect(
      provider(hangAfterStart).run("x", { workingDirectory: "/repo", idleTimeout: 40 }),
    );
    expect(types(events)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_TIMEOUT");
    expect(error?.details).toMatchObject({
      timeoutKind: "idle",
      timeoutMs: 40,
      signal: "SIGTERM",
      stderr: "",
    });
    expect(error?.message).toContain("idleTimeout");
  });

  it("does not count the consumer's time against idleTimeout", async () => {
    const slowConsumer = provider(replay(okStream)).run("x", { workingDirectory: "/repo", idleTimeout: 30 });
    const seen: string[] = [];
    for await (const event of slowConsumer) {
      seen.push(event.type);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen.at(-1)).toBe("result");
  });

  it("return() with a pending next() kills the child at once and settles that next()", async () => {
    const recorded = record();
    const run = provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo" });
    expect((await run.next()).value?.type).toBe("system");
    const pending = run.next();
    const started = Date.now();
    await expect(run.return()).resolves.toEqual({ done: true, value: undefined });
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(recorded.signal?.aborted).toBe(true);
    expect(recorded.returned).toBe(true);
    await expect(run.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("throw(err) tears down and rethrows the caller's error unchanged", async () => {
    const recorded = record();
    const run = provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo" });
    await run.next();
    const mine = new TypeError("consumer bug");
    await expect(run.throw(mine)).rejects.toBe(mine);
    expect(recorded.signal?.aborted).toBe(true);
  });

  it("supports await using: disposal kills the child", async () => {
    const recorded = record();
    {
      await using run = provider(hangAfterStart, recorded).run("x", { workingDirectory: "/repo" });
      expect((await run.next()).done).toBe(false);
      expect(run[Symbol.asyncIterator]()).toBe(run);
    }
    expect(recorded.signal?.aborted).toBe(true);
    expect(recorded.returned).toBe(true);
  });

  it("return() before the first next() spawns nothing", async () => {
    const recorded = record();
    const run = provider(replay(okStream), recorded).run("x", { workingDirectory: "/repo" });
    await run.return();
    await expect(run.next()).resolves.toEqual({ done: true, value: undefined });
    expect(recorded.started).toBe(0);
  });

  it("return() during the bootstrap stops before spawning", async () => {
    const recorded = record();
    let release: (value: CodexBootstrap) => void = () => undefined;
    const codex = provider(replay(okStream), recorded, {
      bootstrap: () => new Promise<CodexBootstrap>((resolve) => (release = resolve)),
    });
    const run = codex.run("x", { workingDirectory: "/repo" });
    const pending = run.next();
    const closing = run.return();
    release(boot);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    await closing;
    expect(recorded.started).toBe(0);
  });

  it("fails fast on a retry notice whose reason is a 401, and can be told not to", async () => {
    const notice = (n: number) => ({
      type: "error",
      message: `Reconnecting... ${n}/5 (unexpected status 401 Unauthorized: bad key ${KEY}, url: http://x/v1/responses)`,
    });
    const script = replayThenHang([okStream[0], notice(1)]);
    const { events, error } = await collect(provider(script).run("x", { workingDirectory: "/repo" }));
    expect(types(events)).toEqual(["system", "system"]);
    expect(error?.code).toBe("CODEX_AUTH_ERROR");
    expect(error?.details).toMatchObject({ statusCode: 401, signal: "SIGTERM", stderr: "" });
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(JSON.stringify(events)).not.toContain(KEY);

    const patient = await collect(
      provider(replayThenHang([okStream[0], notice(1)]), record(), { failFastReconnects: false }).run("x", {
        workingDirectory: "/repo",
        timeout: 60,
      }),
    );
    expect(patient.error?.code).toBe("CODEX_TIMEOUT");
  });

  it("ends a run whose codex waits for the network with CODEX_TRANSPORT_ERROR", async () => {
    const script = replayThenHang([
      okStream[0],
      {
        type: "error",
        message: "Reconnecting... 5/5 (stream disconnected before completion: error sending request)",
      },
      { type: "error", message: "Reconnecting... waiting for network (error sending request for url)" },
    ]);
    const { error } = await collect(provider(script).run("x", { workingDirectory: "/repo" }));
    expect(error?.code).toBe("CODEX_TRANSPORT_ERROR");
    expect(error?.retryable).toBe(true);
  });

  it("keeps reading after a fatal error until codex exits, then classifies once with exit code and stderr", async () => {
    const message = "stream disconnected before completion: stream closed before response.completed";
    const exit = new Error(`Codex Exec exited with code 1: Error: ${message}\n`);
    const { error } = await collect(
      provider(
        replay([okStream[0], { type: "error", message }, { type: "turn.failed", error: { message } }], exit),
      ).run("x", { workingDirectory: "/repo" }),
    );
    expect(error?.code).toBe("CODEX_TRANSPORT_ERROR");
    expect(error?.details).toMatchObject({ exitCode: 1, stderr: `Error: ${message}` });
    expect(error?.cause).toBe(exit);
  });

  it("kills a codex that reported a fatal error but does not exit, after the grace period", async () => {
    const message = "Quota exceeded. Check your plan and billing details.";
    const started = Date.now();
    const { error } = await collect(
      provider(replayThenHang([okStream[0], { type: "turn.failed", error: { message } }])).run("x", {
        workingDirectory: "/repo",
      }),
    );
    expect(error?.code).toBe("CODEX_RATE_LIMITED");
    expect(error?.details.signal).toBe("SIGTERM");
    expect(Date.now() - started).toBeGreaterThanOrEqual(FATAL_EXIT_GRACE_MS - 50);
  }, 10_000);

  it("stops codex at a malformed event and reports CODEX_INVALID_EVENT", async () => {
    const recorded = record();
    const { events, error } = await collect(
      provider(replayThenHang([okStream[0], { type: "item.completed", item: { id: 1 } }]), recorded).run(
        "x",
        {
          workingDirectory: "/repo",
        },
      ),
    );
    expect(types(events)).toEqual(["system"]);
    expect(error?.code).toBe("CODEX_INVALID_EVENT");
    expect(error?.details.eventIndex).toBe(1);
    expect(recorded.signal?.aborted).toBe(true);
  });

  it("fails with CODEX_MISSING_RESULT when codex exits 0 without turn.completed", async () => {
    const { error } = await collect(provider(replay([okStream[0]])).run("x", { workingDirectory: "/repo" }));
    expect(error?.code).toBe("CODEX_MISSING_RESULT");
    expect(error?.details).toMatchObject({ exitCode: 0, eventCount: 1 });
  });

  it("classifies a client that throws before streaming", async () => {
    const codex = provider(replay(okStream), record(), {
      createClient: () => {
        throw Object.assign(new Error("spawn /bin/codex ENOENT"), {
          code: "ENOENT",
          syscall: "spawn /bin/codex",
        });
      },
    });
    const { error } = await collect(codex.run("x", { workingDirectory: "/repo" }));
    expect(error?.code).toBe("CODEX_INVALID_CONFIG");
  });

  it("resolves a relative working directory to an absolute path", async () => {
    const recorded = record();
    await collect(provider(replay(okStream), recorded).run("x", { workingDirectory: "--version" }));
    expect(recorded.threadOptions?.workingDirectory).toBe(`${process.cwd()}/--version`);
  });

  it("caps tool output an event carries when maxToolOutputChars is set", async () => {
    const output = `${"a".repeat(500)}${"z".repeat(500)}`;
    const item = {
      id: "c1",
      type: "command_execution",
      command: "cat",
      aggregated_output: output,
      exit_code: 0,
      status: "completed",
    };
    const { events } = await collect(
      provider(replay([okStream[0], { type: "item.completed", item }, ...okStream.slice(2)]), record(), {
        maxToolOutputChars: 100,
      }).run("x", { workingDirectory: "/repo" }),
    );
    const result = events.find((event) => event.type === "tool_result");
    expect(result?.content).toMatch(/^a{50}\n…\[900 characters omitted\]…\nz{50}$/);
    expect(result?.metadata).toMatchObject({ truncated: false });
  });

  it("types an injected bootstrap's untyped failure", async () => {
    const codex = provider(replay(okStream), record(), {
      bootstrap: async () => {
        throw new TypeError("custom bootstrap broke");
      },
    });
    const { error } = await collect(codex.run("x", { workingDirectory: "/repo" }));
    expect(error?.code).toBe("CODEX_INTERNAL_ERROR");
    expect(error?.cause).toBeInstanceOf(TypeError);
  });

  it("answers next() calls made before the previous one settled in order, as an async generator does", async () => {
    const toolItem = {
      id: "c1",
      type: "command_execution",
      command: "ls",
      aggregated_output: "a",
      exit_code: 0,
    };
    const stream = [
      okStream[0],
      { type: "item.completed", item: { ...toolItem, status: "completed" } },
      ...okStream.slice(1),
    ];
    const run = provider(replay(stream)).run("x", { workingDirectory: "/repo" });
    const steps = await Promise.all(Array.from({ length: 7 }, () => run.next()));
    expect(steps.map((step) => (step.done ? "done" : step.value.type))).toEqual([
      "system",
      "tool_use",
      "tool_result",
      "assistant",
      "usage",
      "result",
      "done",
    ]);
  });

  it("fails an SDK stream whose next() throws synchronously like one whose next() rejects", async () => {
    const failing = (sync: boolean) =>
      provider(replay(okStream), record(), {
        createClient: () => {
          const thread = {
            runStreamed: async () => {
              const events = (async function* () {})();
              events.next = sync
                ? () => {
                    throw new Error(`stream broke ${KEY}`);
                  }
                : () => Promise.reject(new Error(`stream broke ${KEY}`));
              return { events };
            },
          };
          return { startThread: () => thread, resumeThread: () => thread };
        },
      });
    const thrown = await collect(failing(true).run("x", { workingDirectory: "/repo" }));
    const rejected = await collect(failing(false).run("x", { workingDirectory: "/repo" }));
    expect(CodexProviderError.isInstance(thrown.error)).toBe(true);
    expect(thrown.error?.code).toBe(rejected.error?.code);
    expect(JSON.stringify(thrown.error)).not.toContain(KEY);
  });

  it("the shared process scan refuses to pass vacuously off Linux", async () => {
    await expect(codexProcessesUsing("/tmp/ch", "darwin")).rejects.toThrow(/needs Linux/);
  });
});
