import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import type { CodexApprovalRequest } from "./appServer/approvals.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject, ProviderRunOptions } from "./codexOptions.js";
import { expectSuccess, msg, SHARED_TURNS, toolMeta, turn } from "./testing/e2e.js";
import { codexProcessesUsing, types } from "./testing/harness.js";

// End-to-end tier for `transport: "app-server"`: the real `codex app-server` driven by CodexProvider against the
// loopback emulator. The success and failure table of codex.e2e.test.ts runs here on the second transport (same
// assertions), then the cases only this transport has: deltas, interrupt, approvals, crash, concurrency, close.

const SLEEP = "sleep 41.337"; // unique: found in the process table
const TURNS: Record<string, Turn> = {
  ...SHARED_TURNS,
  plan: turn(
    { items: [{ type: "update_plan", plan: [{ step: "one", status: "in_progress" }] }] },
    { items: [{ type: "update_plan", plan: [{ step: "one", status: "completed" }] }] },
    { items: [msg("planned")] },
  ),
  deltas: turn({
    items: [{ type: "message", text: "Hello, streamed world.", deltas: ["Hello, ", "streamed ", "world."] }],
  }),
  sleep: turn({ items: [{ type: "exec", cmd: SLEEP }] }, { items: [msg("slept")] }),
  cmd: turn({ items: [{ type: "exec", cmd: "echo approved-run" }] }, { items: [msg("after the command")] }),
};

let emulator: Emulator;
let run: HermeticRun;
/** One provider (so one app-server) for the table: its cases run concurrently as threads of one process. */
let shared: CodexProvider;
const figures: Record<string, number> = {};

const custom = (baseUrl: string) =>
  customProviderConfig(baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject;

function provider(options: CodexProviderOptions = {}): CodexProvider {
  return new CodexProvider({
    transport: "app-server",
    env: run.env,
    config: custom(emulator.baseUrl),
    ...options,
  });
}

beforeAll(async () => {
  emulator = await startEmulator({ script: byMarker(TURNS) });
  run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  shared = provider();
});

afterAll(async () => {
  await shared?.close();
  await emulator?.close();
  await run?.cleanup();
  console.log(`[app-server e2e] figures (ms): ${JSON.stringify(figures)}`);
});

/** Live `codex app-server` processes of this CODEX_HOME (one /proc scan, no waiting). */
const appServers = (codexHome: string): Promise<number[]> =>
  codexProcessesUsing(codexHome, process.platform, 1, "app-server");

async function commandAlive(command: string): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "latin1").catch(() => "");
    if (cmdline.replaceAll("\0", " ").trim() === command) return true;
  }
  return false;
}

async function eventually(check: () => Promise<boolean>, withinMs = 5000): Promise<boolean> {
  const until = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Outcome {
  events: ProviderEvent[];
  error?: CodexProviderError;
  /** Milliseconds from the abort (when `abortAfterMs` or `abortOn`) to the end of the run. */
  abortToSettledMs?: number;
}

async function runOn(
  on: CodexProvider,
  name: string,
  options: Partial<ProviderRunOptions> & {
    abortAfterMs?: number;
    abortOn?: (event: ProviderEvent) => boolean;
  } = {},
): Promise<Outcome> {
  const { abortAfterMs, abortOn, ...runOptions } = options;
  const controller = new AbortController();
  let abortedAt: number | undefined;
  const abort = () => {
    abortedAt ??= performance.now();
    controller.abort();
  };
  const timer = abortAfterMs === undefined ? undefined : setTimeout(abort, abortAfterMs);
  const events: ProviderEvent[] = [];
  let error: CodexProviderError | undefined;
  try {
    for await (const event of on.run(`[[e2e:${name}]] please help`, {
      workingDirectory: run.workingDirectory,
      timeout: 45_000,
      ...(abortAfterMs !== undefined || abortOn ? { signal: controller.signal } : {}),
      ...runOptions,
    })) {
      events.push(event);
      if (abortOn?.(event)) abort();
    }
  } catch (caught) {
    if (!CodexProviderError.isInstance(caught)) throw caught;
    error = caught;
  } finally {
    clearTimeout(timer);
  }
  return {
    events,
    ...(error ? { error } : {}),
    ...(abortedAt === undefined ? {} : { abortToSettledMs: performance.now() - abortedAt }),
  };
}

describe.concurrent("app-server transport: the success table of the exec transport", () => {
  it("streams an agent message with the same events as exec", async () => {
    const result = await runOn(shared, "message");
    expectSuccess(result, "Hello from the emulator.");
    expect(types(result.events)).toEqual(["system", "assistant", "usage", "result"]);
    expect(result.events.at(-2)?.metadata).toMatchObject({ outputTokens: 30, reasoningOutputTokens: 10 });
  });

  it("surfaces reasoning as a system event", async () => {
    const result = await runOn(shared, "reasoning");
    expectSuccess(result, "Reasoned answer.");
    expect(result.events[1]).toMatchObject({
      type: "system",
      content: "Weighing the options.",
      metadata: { subtype: "reasoning" },
    });
  });

  it("runs a command that exits 0 and shows its output", async () => {
    const result = await runOn(shared, "exec-ok");
    expectSuccess(result, "ran it");
    const [use] = toolMeta(result.events, "tool_use");
    const [done] = toolMeta(result.events, "tool_result");
    expect(use).toMatchObject({ itemType: "command_execution", phase: "started", status: "in_progress" });
    expect(done).toMatchObject({ itemType: "command_execution", status: "completed", exitCode: 0 });
    expect(done?.itemId).toBe(use?.itemId);
    expect(done?.itemType === "command_execution" && done.output).toContain("out");
  });

  it("runs a command that exits 3 and reports the exit code", async () => {
    const result = await runOn(shared, "exec-fail");
    expectSuccess(result, "it failed");
    expect(toolMeta(result.events, "tool_result")[0]).toMatchObject({ status: "failed", exitCode: 3 });
  });

  it("applies a patch that creates a real file", async () => {
    const result = await runOn(shared, "patch");
    expectSuccess(result, "patched");
    const [done] = toolMeta(result.events, "tool_result");
    expect(done).toMatchObject({ itemType: "file_change", status: "completed" });
    expect(done?.itemType === "file_change" && done.changes).toEqual([
      { path: path.join(run.workingDirectory, "notes/hello.txt"), kind: "add" },
    ]);
  });

  it("tracks the plan as a todo_list from start through updates to completion", async () => {
    const planned = provider({
      config: { ...custom(emulator.baseUrl), tools: { update_plan: { enabled: true } } },
    });
    try {
      const result = await runOn(planned, "plan");
      expectSuccess(result, "planned");
      const plan = [...toolMeta(result.events, "tool_use"), ...toolMeta(result.events, "tool_result")];
      expect(plan.map((meta) => meta.phase)).toEqual(["started", "updated", "completed"]);
      expect(plan.at(-1)).toMatchObject({ itemType: "todo_list", items: [{ text: "one", completed: true }] });
    } finally {
      await planned.close();
    }
  });

  it("reports a web search", async () => {
    const result = await runOn(shared, "search");
    expectSuccess(result, "searched");
    expect(toolMeta(result.events, "tool_result")).toEqual([
      expect.objectContaining({ itemType: "web_search", query: "codex sdk events", phase: "completed" }),
    ]);
  });

  it("streams two messages in one turn; the result carries the last", async () => {
    const result = await runOn(shared, "two-messages");
    expectSuccess(result, "second message");
    expect(result.events.filter((event) => event.type === "assistant").map((event) => event.content)).toEqual(
      ["first message", "second message"],
    );
  });

  it("skips malformed SSE lines like the binary does", async () => {
    expectSuccess(await runOn(shared, "malformed"), "survived garbage");
  });
});

interface FailureCase {
  name: string;
  code: string;
  retryable: boolean;
  statusCode?: number;
  failureCode?: string;
  options?: Parameters<typeof runOn>[2];
}

const FAILURES: FailureCase[] = [
  { name: "http-401", code: "CODEX_AUTH_ERROR", retryable: false, statusCode: 401 },
  { name: "http-403", code: "CODEX_AUTH_ERROR", retryable: false, statusCode: 403 },
  { name: "http-429", code: "CODEX_RATE_LIMITED", retryable: true, statusCode: 429 },
  { name: "quota", code: "CODEX_RATE_LIMITED", retryable: true },
  { name: "http-500", code: "CODEX_INTERNAL_ERROR", retryable: true },
  { name: "http-503", code: "CODEX_INTERNAL_ERROR", retryable: true, statusCode: 503 },
  { name: "reset", code: "CODEX_TRANSPORT_ERROR", retryable: true },
  { name: "eof", code: "CODEX_TRANSPORT_ERROR", retryable: true },
  {
    name: "overflow",
    code: "CODEX_INTERNAL_ERROR",
    retryable: false,
    failureCode: "context_length_exceeded",
  },
  { name: "incomplete", code: "CODEX_INTERNAL_ERROR", retryable: false, failureCode: "max_output_tokens" },
  {
    name: "hang",
    code: "CODEX_TIMEOUT",
    retryable: true,
    failureCode: "timeout",
    options: { timeout: 1500 },
  },
  {
    name: "hang",
    code: "CODEX_ABORTED",
    retryable: false,
    failureCode: "aborted",
    options: { abortAfterMs: 1000 },
  },
];

describe.concurrent("app-server transport: the failure table of the exec transport", () => {
  it.each(FAILURES)("$name → $code", async ({ name, code, retryable, statusCode, failureCode, options }) => {
    const result = await runOn(shared, name, options);
    expect(result.error?.code, JSON.stringify(result.error?.toJSON())).toBe(code);
    expect(result.error?.retryable, JSON.stringify(result.error?.toJSON())).toBe(retryable);
    if (statusCode !== undefined) expect(result.error?.details.statusCode).toBe(statusCode);
    if (failureCode !== undefined) expect(result.error?.details.failureCode).toBe(failureCode);
    expect(result.events.filter((event) => event.type === "result")).toEqual([]);
    expect(JSON.stringify(result.error?.toJSON())).not.toContain(run.env.CODEX_API_KEY);
  });
});

/** A provider on its own CODEX_HOME, so its process can be found and counted. */
async function isolated(
  options: CodexProviderOptions = {},
): Promise<{ on: CodexProvider; home: string; [Symbol.asyncDispose](): Promise<void> }> {
  const own = await createHermeticRun({ baseUrl: emulator.baseUrl });
  const on = provider({ env: own.env, ...options });
  return {
    on,
    home: own.codexHome,
    async [Symbol.asyncDispose]() {
      await on.close();
      await own.cleanup();
    },
  };
}

describe.concurrent("app-server transport: inputs, auth and the key", () => {
  it("sends systemPrompt as developer instructions and context before the prompt", async () => {
    const result = await runOn(shared, "message", {
      systemPrompt: "Answer like a pirate (marker sp-7781).",
      context: ["context passage ctx-5521"],
    });
    expectSuccess(result, "Hello from the emulator.");
    const body = JSON.stringify(
      emulator.requests.filter((request) => JSON.stringify(request.body).includes("sp-7781")).at(-1)?.body,
    );
    expect(body).toContain("Answer like a pirate (marker sp-7781).");
    expect(body).toContain("ctx-5521");
  });

  it("keeps CODEX_API_KEY over OPENAI_API_KEY on the default path (custom provider + env_key) and writes no key to CODEX_HOME", async () => {
    const preferred = "sk-as-preferred-key-4444444444";
    const fallback = "sk-as-fallback-key-5555555555";
    const own = await createHermeticRun({ baseUrl: emulator.baseUrl });
    const auth = (marker: string) =>
      emulator.requests
        .filter((request) => request.method === "POST" && request.prompt.includes(marker))
        .map((request) => request.headers.authorization);
    try {
      for (const [marker, env] of [
        ["as-both", { ...own.env, CODEX_API_KEY: preferred, OPENAI_API_KEY: fallback }],
        ["as-only", { ...own.env, CODEX_API_KEY: undefined, OPENAI_API_KEY: fallback }],
      ] as const) {
        // No `config`: the default OPENAI_BASE_URL path as users configure it.
        await using on = new CodexProvider({ transport: "app-server", env });
        for await (const event of on.run(`[[e2e:message]] ${marker}`, {
          workingDirectory: own.workingDirectory,
        })) {
          void event;
        }
      }
      expect(new Set(auth("as-both"))).toEqual(new Set([`Bearer ${preferred}`]));
      expect(new Set(auth("as-only"))).toEqual(new Set([`Bearer ${fallback}`]));
      const files = await readdir(own.codexHome, { recursive: true, withFileTypes: true });
      for (const file of files.filter((entry) => entry.isFile())) {
        const text = await readFile(path.join(file.parentPath, file.name), "latin1");
        expect(text.includes(preferred) || text.includes(fallback), file.name).toBe(false);
      }
    } finally {
      await own.cleanup();
    }
  });
});

describe.concurrent("app-server transport only", () => {
  it("partialMessages: the new text arrives as partial assistant events before the complete message", async () => {
    const result = await runOn(shared, "deltas", { partialMessages: true });
    expectSuccess(result, "Hello, streamed world.");
    const assistant = result.events.filter((event) => event.type === "assistant");
    const partial = assistant.filter((event) => event.metadata?.partial === true);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.map((event) => event.content).join("")).toBe("Hello, streamed world.");
    expect(assistant.at(-1)).toMatchObject({
      content: "Hello, streamed world.",
      metadata: { itemId: partial[0]?.metadata?.itemId },
    });
    expect(assistant.at(-1)?.metadata?.partial).toBeUndefined();
    // Without the option the stream is the exec transport's.
    const plain = await runOn(shared, "deltas");
    expect(types(plain.events)).toEqual(["system", "assistant", "usage", "result"]);
  });

  it("an abort interrupts the turn, kills its command, and the same process runs the next turn", async () => {
    await using own = await isolated();
    const result = await runOn(own.on, "sleep", {
      abortOn: (event) => event.type === "tool_use",
    });
    expect(result.error?.code).toBe("CODEX_ABORTED");
    figures.abortToSettledMs = Math.round(result.abortToSettledMs ?? -1);
    expect(result.abortToSettledMs).toBeLessThan(3000);
    expect(await eventually(async () => !(await commandAlive(SLEEP)))).toBe(true);
    const [pid] = await appServers(own.home);
    expect(pid).toBeDefined();
    expectSuccess(await runOn(own.on, "message"), "Hello from the emulator.");
    expect(await appServers(own.home)).toEqual([pid]);
  });

  it("a consumer's break interrupts the turn the same way", async () => {
    await using own = await isolated();
    for await (const event of own.on.run("[[e2e:sleep]] go", { workingDirectory: run.workingDirectory })) {
      if (event.type === "tool_use") break;
    }
    expect(await eventually(async () => !(await commandAlive(SLEEP)))).toBe(true);
    expectSuccess(await runOn(own.on, "message"), "Hello from the emulator.");
  });

  it.each([
    ["accept", "completed"],
    ["acceptForSession", "completed"],
    ["decline", "failed"],
  ] as const)("onApproval %s → the command is %s and the turn completes", async (decision, status) => {
    const asked: CodexApprovalRequest[] = [];
    await using own = await isolated({
      approvalPolicy: "untrusted",
      onApproval: (request) => {
        asked.push(request);
        return decision;
      },
    });
    const result = await runOn(own.on, "cmd");
    expectSuccess(result, "after the command");
    const [use] = toolMeta(result.events, "tool_use");
    expect(toolMeta(result.events, "tool_result")[0]).toMatchObject({
      itemType: "command_execution",
      status,
    });
    expect(asked).toEqual([
      expect.objectContaining({
        kind: "command",
        itemId: use?.itemId,
        command: expect.stringContaining("echo approved-run"),
      }),
    ]);
    const last = result.events.at(-1);
    expect(asked[0]?.threadId).toBe(last?.type === "result" && last.metadata?.threadId);
  });

  it("onApproval cancel ends the run with CODEX_ABORTED (approval_cancelled)", async () => {
    await using own = await isolated({
      approvalPolicy: "untrusted",
      onApproval: async () => "cancel" as const,
    });
    const result = await runOn(own.on, "cmd");
    expect(result.error?.code).toBe("CODEX_ABORTED");
    expect(result.error?.details.failureCode).toBe("approval_cancelled");
  });

  it.each([
    [
      "throws",
      () => {
        throw new Error("handler bug");
      },
    ],
    ["never answers", () => new Promise<never>(() => undefined)],
    ["answers garbage", () => "yes please" as never],
  ])("a handler that %s declines (the default) and the run completes", async (_, onApproval) => {
    await using own = await isolated({ approvalPolicy: "untrusted", approvalTimeoutMs: 300, onApproval });
    const result = await runOn(own.on, "cmd");
    expectSuccess(result, "after the command");
    expect(toolMeta(result.events, "tool_result")[0]).toMatchObject({ status: "failed" });
  });

  it("a killed app-server fails its in-flight turn with CODEX_TRANSPORT_ERROR and is restarted for the next", async () => {
    await using own = await isolated();
    const pending = runOn(own.on, "hang");
    expect(await eventually(async () => (await appServers(own.home)).length === 1)).toBe(true);
    const [killed] = await appServers(own.home);
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(killed as number, "SIGKILL");
    const failed = await pending;
    expect(failed.error?.code).toBe("CODEX_TRANSPORT_ERROR");
    expect(failed.error?.details).toMatchObject({ failureCode: "app_server_exited", signal: "SIGKILL" });
    expectSuccess(await runOn(own.on, "message"), "Hello from the emulator.");
    const now = await appServers(own.home);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(killed);
  });

  it("runs many threads concurrently on one process", async () => {
    await using own = await isolated();
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => runOn(own.on, "message")));
    figures.eightConcurrentTurnsMs = Math.round(performance.now() - started);
    for (const result of results) expectSuccess(result, "Hello from the emulator.");
    const threads = new Set(results.map((result) => result.events[0]?.metadata));
    expect(threads.size).toBe(8);
    expect(await appServers(own.home)).toHaveLength(1);
  });

  it("close() leaves no process, later runs fail typed; an idle process stops on its own", async () => {
    await using own = await isolated();
    expectSuccess(await runOn(own.on, "message"), "Hello from the emulator.");
    expect(await appServers(own.home)).toHaveLength(1);
    await own.on.close();
    expect(await appServers(own.home)).toEqual([]);
    const after = await runOn(own.on, "message");
    expect(after.error?.code).toBe("CODEX_TRANSPORT_ERROR");
    expect(after.error?.details.failureCode).toBe("provider_closed");

    await using idle = await isolated({ appServerIdleMs: 200 });
    expectSuccess(await runOn(idle.on, "message"), "Hello from the emulator.");
    expect(await eventually(async () => (await appServers(idle.home)).length === 0, 3000)).toBe(true);
  });
});
