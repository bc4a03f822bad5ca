import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMapperState, mapThreadEvent } from "../codexMapper.js";
import { settle } from "../codexSettle.js";
import { createTurnTranslation, type TurnTranslation, translateNotification } from "./translate.js";
import { parseNotification, type WireNotification } from "./wire.js";

type Line = { id?: number; method?: string; params?: { threadId?: string } };

const fixture = (name: string): Line[] =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);

/** The consumed notifications of a recorded turn, validated as the connection does. */
function notifications(name: string): WireNotification[] {
  return fixture(name).flatMap((line) => {
    const parsed = line.method ? parseNotification(line.method, line.params) : undefined;
    return parsed ? [parsed] : [];
  });
}

const threadOf = (name: string) =>
  fixture(name).find((line) => line.method === "turn/started")?.params?.threadId as string;

function translate(name: string, translation = createTurnTranslation(threadOf(name))) {
  const events = notifications(name).flatMap((n) => [...translateNotification(n, translation)]);
  return { events, translation };
}

/** The recorded turn through the translation AND the provider's unchanged mapper and settle point. */
function provide(name: string, partialMessages = false) {
  const state = createMapperState();
  const context = { now: () => 1000, startedAt: 0, failFastReconnects: true, partialMessages };
  const { events } = translate(name);
  const provided = [
    ...mapThreadEvent({ type: "thread.started", thread_id: threadOf(name) }, state, context),
    ...events.flatMap((event) => [...mapThreadEvent(event, state, context)]),
  ];
  return { provided, outcome: settle({ state, processStarted: true, now: 1000 }) };
}

describe("translateNotification on the recorded streams", () => {
  it("simple turn: turn.started, the agent message, cumulative usage", () => {
    const { events, translation } = translate("simple-turn.jsonl");
    expect(events.map((event) => event.type)).toEqual(["turn.started", "item.completed", "turn.completed"]);
    expect(events[1]).toMatchObject({ item: { type: "agent_message", text: "Hello from the emulator." } });
    expect(translation.status).toBe("completed");
    const usage = events[2]?.type === "turn.completed" ? events[2].usage : undefined;
    expect(usage).toEqual(translation.total);
    expect(usage?.input_tokens).toBeGreaterThan(0);
  });

  it("simple turn through the unchanged mapper and settle point: the exec transport's events", () => {
    const { provided, outcome } = provide("simple-turn.jsonl");
    expect(provided.map((event) => event.type)).toEqual(["system", "assistant", "usage"]);
    expect(outcome).toMatchObject({ type: "result", content: "Hello from the emulator." });
  });

  it("command turn: a command_execution started and completed with its output and exit code", () => {
    const { provided, outcome } = provide("command-turn.jsonl");
    expect(provided.map((event) => event.type)).toEqual([
      "system",
      "tool_use",
      "tool_result",
      "assistant",
      "usage",
    ]);
    expect(provided[2]).toMatchObject({
      metadata: { itemType: "command_execution", status: "completed", exitCode: 0 },
    });
    expect(provided[2]?.content).toContain("out");
    expect(outcome).toMatchObject({ type: "result", content: "ran it" });
  });

  it("delta turn: partial assistant events carry the new text, in order, before the complete message", () => {
    const { provided, outcome } = provide("delta-turn.jsonl", true);
    expect(provided.map((event) => [event.type, event.content, event.metadata])).toEqual([
      ["system", expect.any(String), expect.objectContaining({ subtype: "thread_started" })],
      ["assistant", "Hello, ", { itemId: expect.any(String), partial: true }],
      ["assistant", "streamed ", { itemId: expect.any(String), partial: true }],
      ["assistant", "world.", { itemId: expect.any(String), partial: true }],
      ["assistant", "Hello, streamed world.", { itemId: expect.any(String) }],
      ["usage", expect.any(String), expect.any(Object)],
    ]);
    expect(outcome).toMatchObject({ type: "result", content: "Hello, streamed world." });
    // Without partialMessages the same recorded stream gives exactly the exec transport's events.
    expect(provide("delta-turn.jsonl").provided.map((event) => event.type)).toEqual([
      "system",
      "assistant",
      "usage",
    ]);
  });

  it("a declined command is a failed command (the SDK has no declined status)", () => {
    const { provided } = provide("approval-decline-turn.jsonl");
    const result = provided.find((event) => event.type === "tool_result");
    expect(result?.metadata).toMatchObject({ itemType: "command_execution", status: "failed" });
  });

  it("a late item of an earlier turn, before this turn is known, is not part of it (recorded after an interrupt)", () => {
    const lines = notifications("http-401-turn.jsonl");
    expect(lines[0]?.method).toBe("item/completed");
    const translation = createTurnTranslation(threadOf("http-401-turn.jsonl"));
    expect(translateNotification(lines[0] as WireNotification, translation)).toEqual([]);
  });

  it("401: the error carries codexErrorInfo facts and settles to CODEX_AUTH_ERROR from them", () => {
    const { events } = translate("http-401-turn.jsonl");
    expect(events.map((event) => event.type)).toEqual(["turn.started", "error", "turn.failed"]);
    expect(events[1]).toMatchObject({ error_kind: "httpConnectionFailed", http_status_code: 401 });
    const { outcome } = provide("http-401-turn.jsonl");
    expect(outcome).toMatchObject({ code: "CODEX_AUTH_ERROR", details: { statusCode: 401 } });
  });

  it("a turn interrupted by the server (approval cancel) fails as CODEX_ABORTED approval_cancelled", () => {
    const { events } = translate("interrupted-turn.jsonl");
    expect(events.at(-1)).toMatchObject({ type: "turn.failed", error: { error_kind: "turnInterrupted" } });
    const { outcome } = provide("interrupted-turn.jsonl");
    expect(outcome).toMatchObject({ code: "CODEX_ABORTED", details: { failureCode: "approval_cancelled" } });
  });
});

const base = (threadId = "t", turnId = "u") => ({ threadId, turnId });
const n = (method: string, params: unknown) => parseNotification(method, params) as WireNotification;
const completed = (status: string, error: unknown = null) =>
  n("turn/completed", { threadId: "t", turn: { id: "u", status, error } });

describe("translateNotification edges", () => {
  it("agent message deltas accumulate into item.updated; partials through the mapper only when asked", () => {
    const translation = createTurnTranslation("t");
    translation.turnId = "u";
    const deltas = ["Hel", "", "lo"].map((delta) =>
      n("item/agentMessage/delta", { ...base(), itemId: "m", delta }),
    );
    const events = deltas.flatMap((delta) => [...translateNotification(delta, translation)]);
    expect(events).toEqual([
      { type: "item.updated", item: { id: "m", type: "agent_message", text: "Hel" } },
      { type: "item.updated", item: { id: "m", type: "agent_message", text: "Hello" } },
    ]);
    const context = { now: () => 1, startedAt: 0, failFastReconnects: true };
    const on = createMapperState();
    const partial = events.flatMap((event) => [
      ...mapThreadEvent(event, on, { ...context, partialMessages: true }),
    ]);
    expect(partial.map((event) => [event.content, event.metadata])).toEqual([
      ["Hel", { itemId: "m", partial: true }],
      ["lo", { itemId: "m", partial: true }],
    ]);
    // A repeated update adds nothing; the complete message is the normal event.
    expect(mapThreadEvent(events[1], on, { ...context, partialMessages: true })).toEqual([]);
    const off = createMapperState();
    expect(events.flatMap((event) => [...mapThreadEvent(event, off, context)])).toEqual([]);
  });

  it("reasoning summary deltas: parts joined by a newline, partial system events only when asked", () => {
    const translation = createTurnTranslation("t");
    translation.turnId = "u";
    const delta = (text: string, summaryIndex: number) =>
      n("item/reasoning/summaryTextDelta", { ...base(), itemId: "r", delta: text, summaryIndex });
    const events = [delta("Think", 0), delta("ing.", 0), delta("", 0), delta("Then act.", 1)].flatMap((d) => [
      ...translateNotification(d, translation),
    ]);
    expect(events.map((event) => event.type === "item.updated" && event.item)).toEqual([
      { id: "r", type: "reasoning", text: "Think" },
      { id: "r", type: "reasoning", text: "Thinking." },
      { id: "r", type: "reasoning", text: "Thinking.\nThen act." },
    ]);
    const context = { now: () => 1, startedAt: 0, failFastReconnects: true, partialMessages: true };
    const state = createMapperState();
    const done = n("item/completed", {
      ...base(),
      item: { type: "reasoning", id: "r", summary: ["Thinking.", "Then act."], content: [] },
    });
    const mapped = [...events, ...translateNotification(done, translation)].flatMap((event) => [
      ...mapThreadEvent(event, state, context),
    ]);
    expect(mapped.map((event) => [event.content, event.metadata])).toEqual([
      ["Think", { subtype: "reasoning", itemId: "r", partial: true }],
      ["ing.", { subtype: "reasoning", itemId: "r", partial: true }],
      ["\nThen act.", { subtype: "reasoning", itemId: "r", partial: true }],
      ["Thinking.\nThen act.", { subtype: "reasoning", itemId: "r" }],
    ]);
    const plain = createMapperState();
    expect(
      events.flatMap((event) => [...mapThreadEvent(event, plain, { ...context, partialMessages: false })]),
    ).toEqual([]);
    expect(
      translateNotification(
        n("item/commandExecution/outputDelta", { ...base(), itemId: "c", delta: "x" }),
        translation,
      ),
    ).toEqual([]);
  });

  it("a retrying error is a Reconnecting... notice; a failed turn without details still fails", () => {
    const translation = createTurnTranslation("t");
    translation.turnId = "u";
    const retry = n("error", {
      ...base(),
      willRetry: true,
      error: { message: "stream disconnected", codexErrorInfo: null, additionalDetails: null },
    });
    expect(translateNotification(retry, translation)).toEqual([
      { type: "error", message: "Reconnecting... (stream disconnected)" },
    ]);
    const already = n("error", {
      ...base(),
      willRetry: true,
      error: { message: "Reconnecting... 2/5 (x)", codexErrorInfo: null, additionalDetails: null },
    });
    expect(translateNotification(already, translation)).toEqual([
      { type: "error", message: "Reconnecting... 2/5 (x)" },
    ]);
    expect(translateNotification(completed("failed"), translation)).toEqual([
      { type: "turn.failed", error: { message: "turn failed" } },
    ]);
    // Nothing after the end of the turn.
    expect(translateNotification(completed("completed"), translation)).toEqual([]);
  });

  it("maps plans to a todo_list item, other items to unknown ones, and drops other threads and turns", () => {
    const translation: TurnTranslation = createTurnTranslation("t");
    translation.turnId = "u";
    const plan = (status: string) =>
      n("turn/plan/updated", { ...base(), explanation: null, plan: [{ step: "one", status }] });
    expect(translateNotification(plan("inProgress"), translation)[0]).toMatchObject({
      type: "item.started",
      item: { type: "todo_list", items: [{ text: "one", completed: false }] },
    });
    expect(translateNotification(plan("completed"), translation)[0]?.type).toBe("item.updated");
    const item = (type: string, extra: object) =>
      n("item/completed", { ...base(), item: { type, id: `${type}-1`, ...extra } });
    expect(translateNotification(item("hookPrompt", {}), translation)).toEqual([
      { type: "item.completed", item: { id: "hookPrompt-1", type: "hookPrompt" } },
    ]);
    expect(translateNotification(item("plan", { text: "p" }), translation)[0]).toMatchObject({
      item: { type: "plan" },
    });
    expect(translateNotification(item("reasoning", { summary: [], content: [] }), translation)).toEqual([]);
    expect(translateNotification(item("reasoning", { summary: [], content: ["raw"] }), translation)).toEqual([
      { type: "item.completed", item: { id: "reasoning-1", type: "reasoning", text: "raw" } },
    ]);
    expect(translateNotification(item("webSearch", { query: "q" }), translation)).toEqual([
      { type: "item.completed", item: { id: "webSearch-1", type: "web_search", query: "q" } },
    ]);
    const mcp = (phase: string, extra: object) =>
      n(phase, {
        ...base(),
        item: {
          type: "mcpToolCall",
          id: "c",
          server: "s",
          tool: "t",
          arguments: {},
          result: null,
          error: null,
          ...extra,
        },
      });
    expect(
      translateNotification(mcp("item/started", { status: "inProgress" }), translation)[0],
    ).toMatchObject({
      item: { type: "mcp_tool_call", status: "in_progress" },
    });
    expect(
      translateNotification(
        mcp("item/completed", {
          status: "completed",
          result: { content: [{ type: "text", text: "ok" }], structuredContent: null },
        }),
        translation,
      )[0],
    ).toMatchObject({ item: { status: "completed", result: { content: [{ text: "ok" }] } } });
    expect(
      translateNotification(
        mcp("item/completed", { status: "failed", error: { message: "no" } }),
        translation,
      )[0],
    ).toMatchObject({ item: { status: "failed", error: { message: "no" } } });
    const change = (status: string) =>
      n("item/completed", {
        ...base(),
        item: { type: "fileChange", id: "f", status, changes: [{ path: "/a", kind: { type: "add" } }] },
      });
    expect(translateNotification(change("failed"), translation)[0]).toMatchObject({
      item: { type: "file_change", status: "failed", changes: [{ path: "/a", kind: "add" }] },
    });
    expect(
      translateNotification(
        n("item/started", {
          ...base(),
          item: { type: "fileChange", id: "f", status: "inProgress", changes: [] },
        }),
        translation,
      ),
    ).toEqual([]);
    const reasoningDelta = n("item/reasoning/summaryTextDelta", {
      ...base(),
      itemId: "r",
      delta: "x",
      summaryIndex: 0,
    });
    expect(translateNotification(reasoningDelta, translation)).toEqual([
      { type: "item.updated", item: { id: "r", type: "reasoning", text: "x" } },
    ]);
    expect(
      translateNotification(
        n("item/agentMessage/delta", { ...base("other"), itemId: "m", delta: "x" }),
        translation,
      ),
    ).toEqual([]);
    expect(
      translateNotification(
        n("item/agentMessage/delta", { ...base("t", "old"), itemId: "m", delta: "x" }),
        translation,
      ),
    ).toEqual([]);
    expect(
      translateNotification(
        n("turn/started", { threadId: "t", turn: { id: "old", status: "inProgress", error: null } }),
        translation,
      ),
    ).toEqual([]);
    const end = translateNotification(completed("completed"), translation);
    expect(end.map((event) => event.type)).toEqual(["item.completed", "turn.completed"]);
    expect(end[1]).toMatchObject({ usage: { input_tokens: 0, output_tokens: 0 } });
  });

  it("property: any notification sequence translates without throwing and nothing follows the turn's end", () => {
    const pool: WireNotification[] = [
      ...notifications("command-turn.jsonl"),
      ...notifications("http-401-turn.jsonl"),
      ...notifications("interrupted-turn.jsonl"),
    ];
    const threadId = threadOf("command-turn.jsonl");
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 40 }), (sequence) => {
        const translation = createTurnTranslation(threadId);
        let ended = false;
        for (const notification of sequence) {
          const events = translateNotification(notification, translation);
          if (ended) expect(events).toEqual([]);
          const terminal = events.filter(
            (event) => event.type === "turn.completed" || event.type === "turn.failed",
          );
          expect(terminal.length).toBeLessThanOrEqual(1);
          if (translation.status !== undefined) ended = true;
        }
      }),
    );
  });
});
