import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProviderError } from "./codexError.js";
import {
  CODEX_OUTPUT_CAP_BYTES,
  createMapperState,
  type MapperContext,
  mapThreadEvent,
  parseReconnecting,
} from "./codexMapper.js";
import { settle } from "./codexSettle.js";
import { parseThreadEvent } from "./codexWire.js";
import { lsCommandEvents } from "./testing/harness.js";

const KEY = "sk-test-secret-key-0123456789";

function context(): MapperContext {
  let clock = 1_000;
  return {
    now: () => clock++,
    startedAt: 1_000,
    failFastReconnects: false,
  };
}

/** Maps a whole stream the way the provider does; returns the events and the error, if any. */
export function mapStream(raw: unknown[]): { events: ProviderEvent[]; error?: CodexProviderError } {
  const ctx = context();
  const state = createMapperState();
  const events: ProviderEvent[] = [];
  for (const event of raw) events.push(...mapThreadEvent(event, state, ctx));
  const outcome = settle({ state, processStarted: false, now: ctx.now() });
  if (CodexProviderError.isInstance(outcome)) return { events, error: outcome };
  events.push(outcome);
  return { events };
}

const usage = {
  input_tokens: 100,
  cached_input_tokens: 20,
  cache_write_input_tokens: 0,
  output_tokens: 30,
  reasoning_output_tokens: 7,
};
const started = { type: "thread.started", thread_id: "thr_1" };
const completed = { type: "turn.completed", usage };

describe("mapThreadEvent", () => {
  it("maps a full turn to system, reasoning, tools, assistant, usage and one final result", () => {
    const { events, error } = mapStream([
      started,
      { type: "turn.started" },
      { type: "item.completed", item: { id: "r1", type: "reasoning", text: "thinking" } },
      {
        type: "item.started",
        item: {
          id: "c1",
          type: "command_execution",
          command: "/bin/bash -c 'ls'",
          aggregated_output: "",
          exit_code: null,
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "c1",
          type: "command_execution",
          command: "/bin/bash -c 'ls'",
          aggregated_output: "a\nb\n",
          exit_code: 0,
          status: "completed",
        },
      },
      { type: "item.completed", item: { id: "m1", type: "agent_message", text: "first" } },
      { type: "item.completed", item: { id: "m2", type: "agent_message", text: "final answer" } },
      completed,
    ]);
    expect(error).toBeUndefined();
    expect(events.map((event) => [event.type, event.content])).toEqual([
      ["system", "Codex thread thr_1 started"],
      ["system", "thinking"],
      ["tool_use", "/bin/bash -c 'ls'"],
      ["tool_result", "a\nb\n"],
      ["assistant", "first"],
      ["assistant", "final answer"],
      ["usage", "tokens: 100 in (20 cached), 30 out (7 reasoning)"],
      ["result", "final answer"],
    ]);
    expect(events[0]?.metadata).toEqual({ subtype: "thread_started", threadId: "thr_1" });
    expect(events[3]?.metadata).toEqual({
      itemType: "command_execution",
      itemId: "c1",
      phase: "completed",
      command: "/bin/bash -c 'ls'",
      status: "completed",
      exitCode: 0,
      output: "a\nb\n",
      truncated: false,
    });
    expect(events[6]?.metadata).toEqual({
      inputTokens: 100,
      cachedInputTokens: 20,
      cacheWriteInputTokens: 0,
      outputTokens: 30,
      reasoningOutputTokens: 7,
      totalTokens: 130,
    });
    const result = events.at(-1);
    expect(result?.type === "result" && result.metadata).toMatchObject({
      threadId: "thr_1",
      durationMs: expect.any(Number),
    });
    expect(events.filter((event) => event.type === "result")).toHaveLength(1);
  });

  it("emits tool_use and tool_result for a tool item first seen at completion", () => {
    const { events } = mapStream([
      started,
      {
        type: "item.completed",
        item: {
          id: "f1",
          type: "file_change",
          changes: [{ path: "/w/a.txt", kind: "add" }],
          status: "completed",
        },
      },
      completed,
    ]);
    expect(events.slice(1, 3).map((event) => [event.type, event.content, event.metadata])).toEqual([
      [
        "tool_use",
        "add /w/a.txt",
        {
          itemType: "file_change",
          itemId: "f1",
          phase: "started",
          status: "completed",
          changes: [{ path: "/w/a.txt", kind: "add" }],
        },
      ],
      [
        "tool_result",
        "add /w/a.txt",
        {
          itemType: "file_change",
          itemId: "f1",
          phase: "completed",
          status: "completed",
          changes: [{ path: "/w/a.txt", kind: "add" }],
        },
      ],
    ]);
  });

  it("maps MCP calls, web searches and todo lists, including updates", () => {
    const { events, error } = mapStream([
      started,
      {
        type: "item.started",
        item: { id: "p1", type: "todo_list", items: [{ text: "plan", completed: false }] },
      },
      {
        type: "item.updated",
        item: { id: "p1", type: "todo_list", items: [{ text: "plan", completed: true }] },
      },
      {
        type: "item.started",
        item: {
          id: "t1",
          type: "mcp_tool_call",
          server: "docs",
          tool: "lookup",
          arguments: { q: 1 },
          result: null,
          error: null,
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "t1",
          type: "mcp_tool_call",
          server: "docs",
          tool: "lookup",
          arguments: { q: 1 },
          result: { content: [], structured_content: { ok: true } },
          error: null,
          status: "completed",
        },
      },
      {
        type: "item.started",
        item: {
          id: "t2",
          type: "mcp_tool_call",
          server: "docs",
          tool: "boom",
          arguments: {},
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "t2",
          type: "mcp_tool_call",
          server: "docs",
          tool: "boom",
          arguments: { token: KEY },
          error: { message: `bad ${KEY}` },
          status: "failed",
        },
      },
      { type: "item.started", item: { id: "w1", type: "web_search", query: "vitest" } },
      {
        type: "item.completed",
        item: { id: "w1", type: "web_search", query: "vitest", action: { type: "search" } },
      },
      {
        type: "item.completed",
        item: { id: "p1", type: "todo_list", items: [{ text: "plan", completed: true }] },
      },
      completed,
    ]);
    expect(error).toBeUndefined();
    expect(
      events.map(
        (event) =>
          `${event.type}:${event.metadata && "phase" in event.metadata ? event.metadata.phase : "-"}`,
      ),
    ).toEqual([
      "system:-",
      "tool_use:started",
      "tool_use:updated",
      "tool_use:started",
      "tool_result:completed",
      "tool_use:started",
      "tool_result:completed",
      "tool_use:started",
      "tool_result:completed",
      "tool_result:completed",
      "usage:-",
      "result:-",
    ]);
    expect(events[2]?.content).toBe("[x] plan");
    expect(events[4]?.metadata).toMatchObject({
      server: "docs",
      tool: "lookup",
      result: { structured_content: { ok: true } },
    });
    expect(events[6]?.metadata).toMatchObject({
      status: "failed",
      error: `bad ${KEY}`,
      arguments: { token: KEY },
    });
    expect(events[8]?.metadata).toEqual({
      itemType: "web_search",
      itemId: "w1",
      phase: "completed",
      query: "vitest",
    });
  });

  it("keeps undeclared item types as system events", () => {
    const { events, error } = mapStream([
      started,
      { type: "item.started", item: { id: "x1", type: "collab_tool_call", extra: 1 } },
      { type: "item.completed", item: { id: "x1", type: "collab_tool_call" } },
      completed,
    ]);
    expect(error).toBeUndefined();
    expect(events[1]).toMatchObject({
      type: "system",
      metadata: { subtype: "unknown_item", itemId: "x1", itemType: "collab_tool_call", phase: "started" },
    });
    expect(events[2]?.metadata).toMatchObject({ phase: "completed" });
  });

  it("surfaces warning items and reconnect notices as system events and keeps going", () => {
    const { events, error } = mapStream([
      started,
      {
        type: "item.completed",
        item: { id: "e1", type: "error", message: "Model metadata for `gpt-5-codex` not found" },
      },
      { type: "error", message: "Reconnecting... 2/5 (unexpected status 404 Not Found)" },
      { type: "error", message: "Reconnecting... waiting for network (offline)" },
      { type: "item.completed", item: { id: "m1", type: "agent_message", text: "ok" } },
      completed,
    ]);
    expect(error).toBeUndefined();
    expect(events.slice(1, 4).map((event) => event.metadata)).toEqual([
      { subtype: "warning", itemId: "e1" },
      { subtype: "reconnecting", attempt: 2, maxAttempts: 5, reason: "unexpected status 404 Not Found" },
      { subtype: "reconnecting", reason: "offline" },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "result", content: "ok" });
  });

  it("reports a warning item once even when it is both started and completed", () => {
    const { events } = mapStream([
      started,
      { type: "item.started", item: { id: "e1", type: "error", message: "heads up" } },
      { type: "item.completed", item: { id: "e1", type: "error", message: "heads up" } },
      completed,
    ]);
    expect(events.map((event) => event.type)).toEqual(["system", "system", "usage", "result"]);
    expect(events[1]).toMatchObject({ content: "heads up", metadata: { subtype: "warning", itemId: "e1" } });
  });

  it("ignores the started/updated phases of messages, reasoning and updated warnings", () => {
    const { events } = mapStream([
      started,
      { type: "item.started", item: { id: "m1", type: "agent_message", text: "" } },
      { type: "item.updated", item: { id: "r1", type: "reasoning", text: "partial" } },
      { type: "item.updated", item: { id: "e1", type: "error", message: "w" } },
      completed,
    ]);
    expect(events.map((event) => event.type)).toEqual(["system", "usage", "result"]);
    expect(events.at(-1)?.content).toBe("");
  });

  it("records a fatal error followed by turn.failed; settle classifies it once", () => {
    const message =
      "unexpected status 401 Unauthorized: Incorrect API key provided, url: http://127.0.0.1:1/v1/responses";
    const { events, error } = mapStream([
      started,
      { type: "error", message },
      { type: "turn.failed", error: { message } },
      { type: "item.completed", item: { id: "m1", type: "agent_message", text: "late" } },
    ]);
    expect(events.map((event) => event.type)).toEqual(["system", "assistant"]);
    expect(error?.code).toBe("CODEX_AUTH_ERROR");
    expect(error?.details.statusCode).toBe(401);
  });

  it("uses a pending fatal message when the stream ends without turn.failed", () => {
    const { error } = mapStream([
      started,
      { type: "error", message: "exceeded retry limit, last status: 429 Too Many Requests" },
    ]);
    expect(error?.code).toBe("CODEX_RATE_LIMITED");
    expect(error?.retryable).toBe(true);
  });

  it("fails with CODEX_MISSING_RESULT when the stream ends without turn.completed", () => {
    const { events, error } = mapStream([
      started,
      { type: "item.completed", item: { id: "m1", type: "agent_message", text: "hi" } },
    ]);
    expect(events.map((event) => event.type)).toEqual(["system", "assistant"]);
    expect(error?.code).toBe("CODEX_MISSING_RESULT");
    expect(error?.retryable).toBe(false);
    expect(error?.details).toMatchObject({ classification: "config", eventCount: 2 });
  });

  it("fails with CODEX_INVALID_EVENT for any event after the terminal result", () => {
    const { events, error } = mapStream([started, completed, { type: "turn.completed", usage }]);
    expect(events.map((event) => event.type)).toEqual(["system", "usage"]);
    expect(error?.code).toBe("CODEX_INVALID_EVENT");
    expect(error?.details).toMatchObject({ eventIndex: 2, path: ["type"] });
  });
});

describe("parseThreadEvent", () => {
  it.each([
    ["a non-object", 42, ["type"]],
    ["an unknown top-level type", { type: "turn.exploded" }, ["type"]],
    ["a missing type", { thread_id: "x" }, ["type"]],
    ["thread.started without id", { type: "thread.started" }, ["thread_id"]],
    ["turn.completed without usage", { type: "turn.completed" }, ["usage"]],
    [
      "usage with a string count",
      { type: "turn.completed", usage: { ...usage, output_tokens: "3" } },
      ["usage", "output_tokens"],
    ],
    ["an item event without item", { type: "item.started" }, ["item"]],
    [
      "an agent message without text",
      { type: "item.completed", item: { id: "m", type: "agent_message" } },
      ["item", "text"],
    ],
    [
      "a command without status",
      {
        type: "item.completed",
        item: { id: "c", type: "command_execution", command: "x", aggregated_output: "" },
      },
      ["item", "status"],
    ],
    [
      "a file change with a bad kind",
      {
        type: "item.completed",
        item: { id: "f", type: "file_change", status: "completed", changes: [{ path: "/a", kind: "move" }] },
      },
      ["item", "changes", "0", "kind"],
    ],
    [
      "an unknown item without id",
      { type: "item.completed", item: { type: "collab_tool_call" } },
      ["item", "id"],
    ],
    ["turn.failed without error", { type: "turn.failed" }, ["error"]],
  ])("rejects %s with CODEX_INVALID_EVENT and a field path", (_name, raw, path) => {
    try {
      parseThreadEvent(raw, 7);
      expect.unreachable();
    } catch (error) {
      if (!CodexProviderError.isInstance(error)) throw error;
      expect(error.code).toBe("CODEX_INVALID_EVENT");
      expect(error.retryable).toBe(false);
      expect(error.details.eventIndex).toBe(7);
      expect(error.details.path).toEqual(path);
      expect(error.message).toMatch(/^Malformed Codex event #7/);
    }
  });

  it("accepts extra fields and the SDK's optional fields", () => {
    expect(parseThreadEvent({ type: "turn.started", extra: true }, 0)).toMatchObject({
      type: "turn.started",
    });
    expect(
      parseThreadEvent(
        { type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } },
        0,
      ),
    ).toMatchObject({ type: "turn.completed" });
  });
});

describe("parseReconnecting", () => {
  it("recognizes retry notices and nothing else", () => {
    expect(parseReconnecting("Reconnecting... 1/5")).toEqual({
      subtype: "reconnecting",
      attempt: 1,
      maxAttempts: 5,
    });
    expect(parseReconnecting("stream disconnected before completion")).toBeUndefined();
    expect(parseReconnecting("Error: Reconnecting... 1/5")).toBeUndefined();
  });
});

describe("event sequences (inline snapshots)", () => {
  const line = (event: ProviderEvent): string => {
    const meta = event.metadata as Record<string, unknown> | undefined;
    const tag = meta?.subtype ?? meta?.itemType ?? "";
    const phase = meta?.phase ? `:${meta.phase}` : "";
    return `${event.type}${tag ? `:${tag}` : ""}${phase} ${JSON.stringify(event.content.slice(0, 40))}`;
  };

  it("a command turn", () => {
    const { events } = mapStream([
      started,
      { type: "turn.started" },
      ...lsCommandEvents("a\n"),
      { type: "item.completed", item: { id: "m", type: "agent_message", text: "listed" } },
      completed,
    ]);
    expect(events.map(line)).toMatchInlineSnapshot(`
      [
        "system:thread_started "Codex thread thr_1 started"",
        "tool_use:command_execution:started "ls"",
        "tool_result:command_execution:completed "a\\n"",
        "assistant "listed"",
        "usage "tokens: 100 in (20 cached), 30 out (7 re"",
        "result "listed"",
      ]
    `);
  });

  it("a 401 the provider stops at the first retry notice", () => {
    const state = createMapperState();
    const ctx = { now: () => 1, startedAt: 0, failFastReconnects: true };
    const notice =
      "Reconnecting... 1/5 (unexpected status 401 Unauthorized: bad key, url: http://x/v1/responses)";
    const events = [started, { type: "error", message: notice }].flatMap((raw) => [
      ...mapThreadEvent(raw, state, ctx),
    ]);
    expect(events.map(line)).toMatchInlineSnapshot(`
      [
        "system:thread_started "Codex thread thr_1 started"",
        "system:reconnecting "Reconnecting... 1/5 (unexpected status 4"",
      ]
    `);
    expect({ fatal: state.fatalMessage, stopNow: state.stopNow }).toMatchInlineSnapshot(`
      {
        "fatal": "unexpected status 401 Unauthorized: bad key, url: http://x/v1/responses",
        "stopNow": true,
      }
    `);
  });

  it("ws:// upgrade refusals and retryable statuses keep codex retrying", () => {
    const state = createMapperState();
    const ctx = { now: () => 1, startedAt: 0, failFastReconnects: true };
    for (const message of [
      "Reconnecting... 1/5 (unexpected status 404 Not Found: no, url: ws://127.0.0.1:1/v1/responses)",
      "Reconnecting... 2/5 (unexpected status 429 Too Many Requests: slow down, url: http://x/v1/responses)",
      "Reconnecting... 3/5 (stream disconnected before completion)",
    ]) {
      mapThreadEvent({ type: "error", message }, state, ctx);
    }
    expect(state.stopNow).toBeUndefined();
    mapThreadEvent({ type: "error", message: "Reconnecting... waiting for network (offline)" }, state, ctx);
    expect(state.stopNow).toBe(true);
  });

  it("marks command output codex cut at its 1 MiB cap", () => {
    const { events } = mapStream([
      started,
      {
        type: "item.completed",
        item: {
          id: "c",
          type: "command_execution",
          command: "yes",
          aggregated_output: "y".repeat(CODEX_OUTPUT_CAP_BYTES),
          exit_code: 0,
          status: "completed",
        },
      },
      completed,
    ]);
    expect(events[1]?.metadata).toMatchObject({ truncated: true });
  });
});

describe("settle", () => {
  it("keeps codex's fatal message over a deadline that fired while codex was exiting", () => {
    const state = createMapperState();
    mapThreadEvent({ type: "turn.failed", error: { message: "Quota exceeded." } }, state, context());
    const outcome = settle({
      state,
      stop: { kind: "timeout", timeoutKind: "total", timeoutMs: 5 },
      processStarted: true,
      now: 1,
    });
    expect(CodexProviderError.isInstance(outcome) && outcome.code).toBe("CODEX_RATE_LIMITED");
    expect(CodexProviderError.isInstance(outcome) && outcome.details.signal).toBe("SIGTERM");
  });

  it("reports a caller's abort over anything codex said", () => {
    const state = createMapperState();
    mapThreadEvent({ type: "turn.failed", error: { message: "Quota exceeded." } }, state, context());
    const outcome = settle({ state, stop: { kind: "abort", reason: "stop" }, processStarted: true, now: 1 });
    expect(CodexProviderError.isInstance(outcome) && outcome.code).toBe("CODEX_ABORTED");
  });

  it("passes a typed stream error through and marks a malformed event with the kill", () => {
    const typed = new CodexProviderError({ code: "CODEX_INTERNAL_ERROR", message: "x" });
    expect(settle({ state: createMapperState(), streamError: typed, processStarted: true, now: 1 })).toBe(
      typed,
    );
    const state = createMapperState();
    mapThreadEvent(42, state, context());
    const outcome = settle({ state, stop: { kind: "fail_fast" }, processStarted: true, now: 1 });
    expect(CodexProviderError.isInstance(outcome) && outcome.details).toMatchObject({
      eventIndex: 0,
      signal: "SIGTERM",
      stderr: "",
    });
  });
});

describe("mapThreadEvent: plain data out (what the run handle's redactor walk relies on)", () => {
  /** True when every container is an array or an object literal of enumerable, string-keyed data properties. */
  function isPlainTree(value: unknown, depth = 0): boolean {
    if (typeof value !== "object" || value === null) return true;
    const proto = Reflect.getPrototypeOf(value);
    if (proto !== Array.prototype && proto !== Object.prototype) return false;
    if (Object.getOwnPropertySymbols(value).length > 0) return false;
    return Object.getOwnPropertyNames(value).every((key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
      if (Array.isArray(value) && key === "length") return true;
      return (
        "value" in descriptor && descriptor.enumerable === true && isPlainTree(descriptor.value, depth + 1)
      );
    });
  }

  it("copies an MCP tool's arguments and result to JSON data, whatever a custom client handed", () => {
    let reads = 0;
    const args = Object.defineProperty({ visible: { deep: [KEY] } }, "lazy", {
      get: () => {
        reads++;
        return `via getter ${KEY}`;
      },
      enumerable: true,
    });
    Object.defineProperty(args, "hidden", { value: KEY, enumerable: false });
    Object.defineProperty(args, Symbol("tag"), { value: KEY, enumerable: true });
    const result = {
      content: [{ type: "text", text: KEY }],
      structured_content: { list: [args] },
      extra: args,
    };
    const { events } = mapStream([
      {
        type: "item.completed",
        item: {
          id: "t1",
          type: "mcp_tool_call",
          server: "s",
          tool: "t",
          arguments: args,
          result,
          status: "completed",
        },
      },
    ]);
    expect(events.map((event) => event.type)).toEqual(["tool_use", "tool_result"]);
    for (const event of events) expect(isPlainTree(event)).toBe(true);
    expect(events[1]?.metadata).toMatchObject({
      arguments: { visible: { deep: [KEY] }, lazy: `via getter ${KEY}` },
      result: { content: [{ type: "text", text: KEY }], extra: { lazy: `via getter ${KEY}` } },
    });
    expect(Object.keys((events[1]?.metadata as { arguments: object } | undefined)?.arguments ?? {})).toEqual([
      "visible",
      "lazy",
    ]);
    // Read while parsing, like every other field zod reads: the redactor never sees the getter.
    expect(reads).toBeGreaterThan(0);
  });

  it("keeps what is not JSON data (Maps, dates, class instances) for the redactor's general walk", () => {
    const when = new Date(0);
    const map = new Map([["k", KEY]]);
    const [, event] = mapStream([
      {
        type: "item.completed",
        item: {
          id: "t1",
          type: "mcp_tool_call",
          server: "s",
          tool: "t",
          arguments: { when, map },
          status: "completed",
        },
      },
    ]).events;
    expect(event?.metadata).toMatchObject({ arguments: { when, map } });
  });

  it("fails an event that throws when read with CODEX_INVALID_EVENT, not the thrown error", () => {
    const args = Object.defineProperty({}, "boom", {
      get: () => {
        throw new Error("getter broke");
      },
      enumerable: true,
    });
    const state = createMapperState();
    const raw = {
      type: "item.completed",
      item: { id: "t1", type: "mcp_tool_call", server: "s", tool: "t", arguments: args, status: "completed" },
    };
    expect(mapThreadEvent(raw, state, context())).toEqual([]);
    expect(CodexProviderError.isInstance(state.invalid)).toBe(true);
    expect(state.invalid?.code).toBe("CODEX_INVALID_EVENT");
    expect(state.invalid?.message).toContain("getter broke");
  });
});
