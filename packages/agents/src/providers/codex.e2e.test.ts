import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import { bootstrapCodex, type CodexBootstrapper } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import { CODEX_OUTPUT_CAP_BYTES } from "./codexMapper.js";
import type { CodexConfigObject } from "./codexOptions.js";
import {
  abortAfter,
  codexLogin,
  expectSuccess,
  msg,
  overrideBootstrap,
  SHARED_TURNS,
  toolMeta,
  turn,
} from "./testing/e2e.js";
import { codexProcessesUsing, collect, types } from "./testing/harness.js";

// End-to-end tier: the real `codex` binary from @openai/codex, spawned by the real SDK through
// CodexProvider, against the loopback Responses API emulator. Every case runs concurrently.

const MCP_SERVER = fileURLToPath(new URL("./fixtures/mcpEchoServer.mjs", import.meta.url));
const BODY_400 = {
  error: {
    message: "Unsupported parameter: 'temperature'.",
    type: "invalid_request_error",
    param: "temperature",
    code: "unsupported_parameter",
  },
};

/** Every scripted turn, keyed by the marker its prompt carries. */
const TURNS: Record<string, Turn> = {
  ...SHARED_TURNS,
  plan: turn(
    {
      items: [
        {
          type: "update_plan",
          plan: [
            { step: "one", status: "in_progress" },
            { step: "two", status: "pending" },
          ],
        },
      ],
    },
    {
      items: [
        {
          type: "update_plan",
          plan: [
            { step: "one", status: "completed" },
            { step: "two", status: "completed" },
          ],
        },
      ],
    },
    { items: [msg("planned")] },
  ),
  mcp: turn(
    { items: [{ type: "mcp", server: "echo", tool: "echo", arguments: { text: "ping" } }] },
    { items: [{ type: "mcp", server: "echo", tool: "fail", arguments: {} }] },
    { items: [msg("used mcp")] },
  ),
  "exec-big": turn(
    { items: [{ type: "exec", cmd: "head -c 3000000 /dev/zero | tr '\\0' a" }] },
    { items: [msg("printed a lot")] },
  ),
  "http-429-hint": turn({
    fault: "http",
    status: 429,
    headers: { "retry-after": "1" },
    body: {
      error: {
        message: "Rate limit reached for requests. Please try again in 1.5s.",
        type: "requests",
        code: "rate_limit_exceeded",
      },
    },
  }),
  "http-400": turn({ fault: "http", status: 400, body: BODY_400 }),
  failed: turn({
    fault: "response_failed",
    code: "server_error",
    message: "The server had an error processing your request.",
  }),
  idle: turn({ fault: "silence" }),
  "missing-key": turn({ items: [msg("never reached")] }),
  "auth-precedence": turn({ items: [msg("auth ok")] }),
  "auth-fallback": turn({ items: [msg("auth ok")] }),
  "rate-hint": turn({
    fault: "response_failed",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for gpt-5.5 on tokens per min. Please try again in 1.5s.",
  }),
  "cli-login": turn({ items: [msg("logged in via codex login")] }),
  "slow-break": turn({ items: [msg("one"), msg("two"), msg("three")], delayMs: 400 }),
};

let emulator: Emulator;
let websocket404: Emulator;
let deadServer: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ script: byMarker(TURNS) });
  websocket404 = await startEmulator({ websocketProbe: 404, script: byMarker(TURNS) });
  // Started and closed at once: its port refuses connections.
  deadServer = await startEmulator();
  await deadServer.close();
});

afterAll(async () => {
  await Promise.all([emulator?.close(), websocket404?.close()]);
});

interface CaseOptions {
  /** `default`: OPENAI_BASE_URL exactly as a user sets it; `custom`: a custom provider with retries off. */
  mode?: "default" | "custom";
  server?: () => Emulator;
  config?: CodexProviderOptions["config"];
  env?: (run: HermeticRun) => Record<string, string | undefined>;
  /** The run's `timeout`; `null` runs without one (default 45 s). */
  timeout?: number | null;
  /** The run's `idleTimeout`. */
  idleTimeout?: number;
  idleTimeoutMs?: number;
  envKey?: string;
  /** Cancels the run through the `signal` option after this many ms. */
  abortAfterMs?: number;
  /** Runs before the provider starts, e.g. to store a `codex login`. */
  prepare?: (run: HermeticRun) => Promise<void>;
  /** Wraps the real bootstrap, e.g. to point at a binary that does not exist. */
  bootstrap?: CodexBootstrapper;
}

interface CaseResult {
  events: ProviderEvent[];
  error?: CodexProviderError;
  run: HermeticRun;
  files: string[];
  /** Milliseconds from the first `next()` to the end of the run. */
  elapsedMs: number;
}

async function runCase(name: string, options: CaseOptions = {}): Promise<CaseResult> {
  const server = (options.server ?? (() => emulator))();
  const run = await createHermeticRun({ baseUrl: server.baseUrl });
  const events: ProviderEvent[] = [];
  let error: CodexProviderError | undefined;
  const started = Date.now();
  try {
    const custom =
      options.mode === "custom"
        ? customProviderConfig(server.baseUrl, {
            idleTimeoutMs: options.idleTimeoutMs ?? 5000,
            ...(options.envKey ? { envKey: options.envKey } : {}),
          })
        : {};
    await options.prepare?.(run);
    const provider = new CodexProvider({
      ...((options.bootstrap ?? overrideBootstrap)
        ? { bootstrap: options.bootstrap ?? overrideBootstrap }
        : {}),
      env: { ...run.env, ...options.env?.(run) },
      config: { ...(custom as CodexConfigObject), ...options.config },
    });
    for await (const event of provider.run(`[[e2e:${name}]] please help`, {
      workingDirectory: run.workingDirectory,
      ...(options.timeout === null ? {} : { timeout: options.timeout ?? 45_000 }),
      ...(options.idleTimeout !== undefined ? { idleTimeout: options.idleTimeout } : {}),
      ...(options.abortAfterMs !== undefined ? { signal: abortAfter(options.abortAfterMs) } : {}),
    })) {
      events.push(event);
    }
  } catch (caught) {
    if (!CodexProviderError.isInstance(caught)) throw caught;
    error = caught;
  }
  const elapsedMs = Date.now() - started;
  const files = await readdir(run.workingDirectory, { recursive: true });
  await run.cleanup();
  return { events, error, run, elapsedMs, files: files.filter((file) => !file.startsWith(".git")) };
}

describe.concurrent("CodexProvider + real codex binary + emulator: success paths", () => {
  it("streams an agent message on the default OPENAI_BASE_URL path", async () => {
    const result = await runCase("message");
    expectSuccess(result, "Hello from the emulator.");
    expect(types(result.events)).toEqual(["system", "assistant", "usage", "result"]);
    const usage = result.events.at(-2);
    expect(usage?.type === "usage" && usage.metadata).toMatchObject({
      inputTokens: 120,
      cachedInputTokens: 20,
      outputTokens: 30,
      reasoningOutputTokens: 10,
    });
  });

  it("surfaces reasoning as a system event", async () => {
    const result = await runCase("reasoning", { mode: "custom" });
    expectSuccess(result, "Reasoned answer.");
    expect(result.events[1]).toMatchObject({
      type: "system",
      content: "Weighing the options.",
      metadata: { subtype: "reasoning" },
    });
  });

  it("runs a command that exits 0 and shows its output", async () => {
    const result = await runCase("exec-ok", { mode: "custom" });
    expectSuccess(result, "ran it");
    const [use] = toolMeta(result.events, "tool_use");
    const [done] = toolMeta(result.events, "tool_result");
    expect(use).toMatchObject({
      itemType: "command_execution",
      phase: "started",
      status: "in_progress",
      exitCode: null,
    });
    expect(done).toMatchObject({
      itemType: "command_execution",
      status: "completed",
      exitCode: 0,
      itemId: use?.itemId,
    });
    expect(done?.itemType === "command_execution" && done.output).toContain("out");
  });

  it("marks a command output codex cut at its cap as truncated", async () => {
    const result = await runCase("exec-big", { mode: "custom" });
    expectSuccess(result, "printed a lot");
    const [done] = toolMeta(result.events, "tool_result");
    expect(done).toMatchObject({ itemType: "command_execution", truncated: true });
    const output = done?.itemType === "command_execution" ? done.output : "";
    expect(output.length).toBeLessThan(3_000_000);
    expect(Buffer.byteLength(output)).toBeGreaterThanOrEqual(CODEX_OUTPUT_CAP_BYTES);
  });

  it("runs a command that exits 3 and reports the exit code", async () => {
    const result = await runCase("exec-fail", { mode: "custom" });
    expectSuccess(result, "it failed");
    const [done] = toolMeta(result.events, "tool_result");
    expect(done).toMatchObject({ itemType: "command_execution", status: "failed", exitCode: 3 });
    expect(result.events.find((event) => event.type === "tool_result")?.content).toContain("failing");
  });

  it("applies a patch that creates a real file in the working directory", async () => {
    const result = await runCase("patch", { mode: "custom" });
    expectSuccess(result, "patched");
    const [done] = toolMeta(result.events, "tool_result");
    expect(done).toMatchObject({ itemType: "file_change", status: "completed" });
    expect(done?.itemType === "file_change" && done.changes).toEqual([
      { path: path.join(result.run.workingDirectory, "notes/hello.txt"), kind: "add" },
    ]);
    expect(result.files).toContain(path.join("notes", "hello.txt"));
  });

  it("tracks an update_plan todo list from start through updates to completion", async () => {
    const result = await runCase("plan", {
      mode: "custom",
      config: { tools: { update_plan: { enabled: true } } },
    });
    expectSuccess(result, "planned");
    const plan = [...toolMeta(result.events, "tool_use"), ...toolMeta(result.events, "tool_result")];
    expect(plan.map((meta) => meta.phase)).toEqual(["started", "updated", "completed"]);
    expect(plan.at(-1)).toMatchObject({
      itemType: "todo_list",
      items: [
        { text: "one", completed: true },
        { text: "two", completed: true },
      ],
    });
  });

  it("reports a web search", async () => {
    const result = await runCase("search", { mode: "custom" });
    expectSuccess(result, "searched");
    expect(toolMeta(result.events, "tool_result")).toEqual([
      expect.objectContaining({ itemType: "web_search", query: "codex sdk events", phase: "completed" }),
    ]);
  });

  it("calls a tool of a real stdio MCP server, including a failing one", async () => {
    const result = await runCase("mcp", {
      mode: "custom",
      config: {
        mcp_servers: {
          echo: { command: process.execPath, args: [MCP_SERVER], default_tools_approval_mode: "approve" },
        },
      },
    });
    expectSuccess(result, "used mcp");
    const done = toolMeta(result.events, "tool_result");
    expect(done[0]).toMatchObject({
      itemType: "mcp_tool_call",
      server: "echo",
      tool: "echo",
      status: "completed",
      arguments: { text: "ping" },
    });
    expect(JSON.stringify(done[0])).toContain("echo: ping");
    expect(done[1]).toMatchObject({ itemType: "mcp_tool_call", server: "echo", tool: "fail" });
  });

  it("streams two messages in one turn; the result carries the last", async () => {
    const result = await runCase("two-messages", { mode: "custom" });
    expectSuccess(result, "second message");
    expect(result.events.filter((event) => event.type === "assistant").map((event) => event.content)).toEqual(
      ["first message", "second message"],
    );
  });

  it("skips malformed SSE lines like the binary does", async () => {
    expectSuccess(await runCase("malformed", { mode: "custom" }), "survived garbage");
  });

  it("keeps going through non-fatal Reconnecting... notices (websocket probe answered 404)", async () => {
    const result = await runCase("message", { server: () => websocket404 });
    expectSuccess(result, "Hello from the emulator.");
    const reconnects = result.events.filter(
      (event) => event.type === "system" && event.metadata?.subtype === "reconnecting",
    );
    expect(reconnects.length).toBeGreaterThan(0);
    expect(reconnects[0]?.metadata).toMatchObject({ attempt: expect.any(Number), maxAttempts: 5 });
  });

  it("sends CODEX_API_KEY over OPENAI_API_KEY, and falls back to OPENAI_API_KEY", async () => {
    const preferred = "sk-preferred-codex-key-1111111111";
    const fallback = "sk-fallback-openai-key-2222222222";
    const both = await runCase("auth-precedence", {
      env: () => ({ CODEX_API_KEY: preferred, OPENAI_API_KEY: fallback }),
    });
    const only = await runCase("auth-fallback", {
      env: () => ({ CODEX_API_KEY: undefined, OPENAI_API_KEY: fallback }),
    });
    expectSuccess(both, "auth ok");
    expectSuccess(only, "auth ok");
    const auth = (marker: string) =>
      emulator.requests
        .filter((request) => request.method === "POST" && request.prompt.includes(marker))
        .map((request) => request.headers.authorization);
    expect(new Set(auth("[[e2e:auth-precedence]]"))).toEqual(new Set([`Bearer ${preferred}`]));
    expect(new Set(auth("[[e2e:auth-fallback]]"))).toEqual(new Set([`Bearer ${fallback}`]));
  });

  it("uses a stored `codex login` session when no key variable is set", async () => {
    const storedKey = "sk-stored-login-key-3333333333";
    const result = await runCase("cli-login", {
      env: () => ({ CODEX_API_KEY: undefined, OPENAI_API_KEY: undefined }),
      prepare: (run) => codexLogin(run, storedKey),
    });
    expectSuccess(result, "logged in via codex login");
    const posts = emulator.requests.filter(
      (request) => request.method === "POST" && request.prompt.includes("[[e2e:cli-login]]"),
    );
    expect(posts.map((request) => request.headers.authorization)).toEqual([`Bearer ${storedKey}`]);
  });

  it("kills the codex process when the consumer breaks out early", async () => {
    const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
    try {
      const provider = new CodexProvider({
        env: run.env,
        config: customProviderConfig(emulator.baseUrl) as CodexConfigObject,
      });
      for await (const event of provider.run("[[e2e:slow-break]] go", {
        workingDirectory: run.workingDirectory,
        timeout: 30_000,
      })) {
        if (event.type === "assistant") break;
      }
      expect(await codexProcessesUsing(run.codexHome)).toEqual([]);
    } finally {
      await run.cleanup();
    }
  });
});

interface FailureCase {
  name: string;
  options?: CaseOptions;
  code: string;
  retryable: boolean;
  statusCode?: number;
  failureCode?: string;
  /** Upper bound on the time to failure. */
  withinMs?: number;
  /** Which of the run's deadlines fired. */
  timeoutKind?: "total" | "idle";
  /** `details.retryAfterMs`; `null` asserts it is absent. */
  retryAfterMs?: number | null;
}

/** Cases that fail before codex starts: they carry no exit code or stderr. */
const BEFORE_SPAWN = new Set(["no-login", "missing-binary"]);

const FAILURES: FailureCase[] = [
  { name: "http-401", code: "CODEX_AUTH_ERROR", retryable: false, statusCode: 401, withinMs: 3000 },
  {
    name: "http-401",
    options: { mode: "custom" },
    code: "CODEX_AUTH_ERROR",
    retryable: false,
    statusCode: 401,
  },
  {
    name: "http-403",
    options: { mode: "custom" },
    code: "CODEX_AUTH_ERROR",
    retryable: false,
    statusCode: 403,
  },
  {
    name: "http-429",
    options: { mode: "custom" },
    code: "CODEX_RATE_LIMITED",
    retryable: true,
    statusCode: 429,
  },
  {
    name: "http-429-hint",
    options: { mode: "custom" },
    code: "CODEX_RATE_LIMITED",
    retryable: true,
    statusCode: 429,
    // codex 0.163 drops the server's Retry-After header and hint text: nothing to observe but the code.
    retryAfterMs: null,
  },
  {
    name: "quota",
    options: { mode: "custom" },
    code: "CODEX_RATE_LIMITED",
    retryable: true,
    failureCode: "insufficient_quota",
  },
  {
    name: "http-400",
    options: { mode: "custom" },
    code: "CODEX_INTERNAL_ERROR",
    retryable: false,
    failureCode: "unsupported_parameter",
  },
  { name: "http-500", options: { mode: "custom" }, code: "CODEX_INTERNAL_ERROR", retryable: true },
  {
    name: "http-503",
    options: { mode: "custom" },
    code: "CODEX_INTERNAL_ERROR",
    retryable: true,
    statusCode: 503,
  },
  { name: "reset", options: { mode: "custom" }, code: "CODEX_TRANSPORT_ERROR", retryable: true },
  { name: "eof", options: { mode: "custom" }, code: "CODEX_TRANSPORT_ERROR", retryable: true },
  { name: "failed", options: { mode: "custom" }, code: "CODEX_TRANSPORT_ERROR", retryable: true },
  {
    name: "overflow",
    options: { mode: "custom" },
    code: "CODEX_INTERNAL_ERROR",
    retryable: false,
    failureCode: "context_length_exceeded",
  },
  {
    name: "incomplete",
    options: { mode: "custom" },
    code: "CODEX_INTERNAL_ERROR",
    retryable: false,
    failureCode: "max_output_tokens",
  },
  {
    name: "idle",
    options: { mode: "custom", idleTimeoutMs: 1000 },
    code: "CODEX_TIMEOUT",
    retryable: true,
    failureCode: "idle_timeout",
  },
  {
    name: "hang",
    options: { mode: "custom", timeout: 2500 },
    code: "CODEX_TIMEOUT",
    retryable: true,
    failureCode: "timeout",
  },
  {
    name: "hang",
    options: { mode: "custom", abortAfterMs: 1500 },
    code: "CODEX_ABORTED",
    retryable: false,
    failureCode: "aborted",
  },
  {
    name: "hang",
    options: { idleTimeout: 1500, timeout: null },
    code: "CODEX_TIMEOUT",
    retryable: true,
    failureCode: "timeout",
    timeoutKind: "idle",
  },
  {
    name: "dead-server",
    options: { server: () => deadServer, timeout: null },
    code: "CODEX_TRANSPORT_ERROR",
    retryable: true,
    withinMs: 30_000,
  },
  {
    name: "dead-server",
    options: { server: () => deadServer },
    code: "CODEX_TRANSPORT_ERROR",
    retryable: true,
    withinMs: 30_000,
  },
  {
    name: "rate-hint",
    options: { mode: "custom" },
    code: "CODEX_RATE_LIMITED",
    retryable: true,
    failureCode: "rate_limit_exceeded",
    retryAfterMs: 1500,
  },
  {
    name: "dead-server",
    options: { mode: "custom", server: () => deadServer },
    code: "CODEX_TRANSPORT_ERROR",
    retryable: true,
  },
  {
    name: "no-login",
    options: { env: () => ({ CODEX_API_KEY: undefined, OPENAI_API_KEY: undefined }) },
    code: "CODEX_AUTH_ERROR",
    retryable: false,
  },
  {
    name: "missing-binary",
    options: {
      mode: "custom",
      bootstrap: async (env) => ({ ...(await bootstrapCodex(env)), codexPath: "/nonexistent/alphred/codex" }),
    },
    code: "CODEX_INVALID_CONFIG",
    retryable: false,
  },
  {
    name: "missing-key",
    options: { mode: "custom", envKey: "ALPHRED_E2E_UNSET_KEY" },
    code: "CODEX_AUTH_ERROR",
    retryable: false,
  },
];

describe.concurrent("CodexProvider + real codex binary + emulator: failure paths", () => {
  it.each(FAILURES)(
    "$name ($options.mode) fails with $code $failureCode",
    async ({
      name,
      options,
      code,
      retryable,
      statusCode,
      failureCode,
      withinMs,
      timeoutKind,
      retryAfterMs,
    }) => {
      const result = await runCase(name, options);
      expect(result.error, `events: ${JSON.stringify(types(result.events))}`).toBeDefined();
      const error = result.error as CodexProviderError;
      expect({ code: error.code, retryable: error.retryable }).toEqual({ code, retryable });
      if (statusCode !== undefined) expect(error.details.statusCode).toBe(statusCode);
      if (failureCode !== undefined) expect(error.details.failureCode).toBe(failureCode);
      if (withinMs !== undefined) expect(result.elapsedMs).toBeLessThan(withinMs);
      if (timeoutKind !== undefined) expect(error.details.timeoutKind).toBe(timeoutKind);
      if (retryAfterMs !== undefined) expect(error.details.retryAfterMs).toBe(retryAfterMs ?? undefined);
      if (!BEFORE_SPAWN.has(name)) {
        // Every failure of a started codex says how it ended and carries its stderr (empty when killed).
        expect(error.details.exitCode ?? error.details.signal).toBeDefined();
        expect(typeof error.details.stderr).toBe("string");
      }
      expect(types(result.events)).not.toContain("result");
      const key = result.run.env.CODEX_API_KEY as string;
      expect(error.message).not.toContain(key);
      expect(JSON.stringify(error)).not.toContain(key);
      expect(String((error.cause as Error | undefined)?.message ?? "")).not.toContain(key);
      expect(await codexProcessesUsing(result.run.codexHome)).toEqual([]);
    },
  );
});

describe.concurrent("CodexProvider + real codex binary: the run handle cannot hang", () => {
  it("an already-aborted signal fails with CODEX_ABORTED and spawns nothing", async () => {
    const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
    try {
      const provider = new CodexProvider({ env: run.env });
      const reason = new Error("cancelled before start");
      const { error } = await collect(
        provider.run("[[e2e:message]] never sent", {
          workingDirectory: run.workingDirectory,
          signal: AbortSignal.abort(reason),
        }),
      );
      expect(error?.code).toBe("CODEX_ABORTED");
      expect(error?.cause).toBe(reason);
      expect(emulator.requests.some((request) => request.prompt.includes("never sent"))).toBe(false);
      expect(await codexProcessesUsing(run.codexHome)).toEqual([]);
    } finally {
      await run.cleanup();
    }
  });

  it("return() while next() waits on a hung server kills codex at once and settles that next()", async () => {
    const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
    try {
      const provider = new CodexProvider({ env: run.env });
      const handle = provider.run("[[e2e:hang]] wait", { workingDirectory: run.workingDirectory });
      expect((await handle.next()).value?.type).toBe("system");
      const pending = handle.next();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await handle.return();
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(2000);
      expect(await codexProcessesUsing(run.codexHome)).toEqual([]);
    } finally {
      await run.cleanup();
    }
  });
});
