import { describe, expect, it } from "vitest";
import {
  createIdSource,
  DEFAULT_USAGE,
  frameSse,
  type OutputItem,
  renderItem,
  resolveUsage,
  responseEvents,
  selectStep,
  sseEvent,
  type Turn,
} from "./script.js";

const render = (item: OutputItem) => renderItem(item, createIdSource());

describe("renderItem", () => {
  it("renders a structured-output answer as an assistant message whose text is the JSON", () => {
    const rendered = render({ type: "json", value: { answer: 42, tags: ["a"] } });
    expect(rendered).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: '{"answer":42,"tags":["a"]}' }],
    });
  });

  it("renders a message as an assistant output_text message", () => {
    expect(render({ type: "message", text: "hi" })).toEqual({
      type: "message",
      id: "msg_emu_1",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: "hi", annotations: [] }],
    });
  });

  it("renders reasoning as a summary, empty text as an empty summary", () => {
    expect(render({ type: "reasoning", text: "why" })).toMatchObject({
      type: "reasoning",
      summary: [{ type: "summary_text", text: "why" }],
    });
    expect(render({ type: "reasoning", text: "" })).toMatchObject({ summary: [] });
  });

  it("renders exec as an exec_command function_call with JSON arguments", () => {
    const item = render({ type: "exec", cmd: "ls -la", login: true });
    expect(item).toMatchObject({
      type: "function_call",
      name: "exec_command",
      id: "fc_emu_1",
      call_id: "call_emu_2",
    });
    expect(JSON.parse(item.arguments as string)).toEqual({ cmd: "ls -la", login: true });
    expect(JSON.parse(render({ type: "exec", cmd: "true" }).arguments as string)).toEqual({
      cmd: "true",
      login: false,
    });
  });

  it("renders apply_patch as a custom_tool_call carrying the patch", () => {
    const patch = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n";
    expect(render({ type: "apply_patch", patch })).toMatchObject({
      type: "custom_tool_call",
      name: "apply_patch",
      input: patch,
    });
  });

  it("renders update_plan as a function_call with the plan", () => {
    const plan = [{ step: "a", status: "in_progress" as const }];
    const item = render({ type: "update_plan", plan });
    expect(item).toMatchObject({ type: "function_call", name: "update_plan" });
    expect(JSON.parse(item.arguments as string)).toEqual({ plan });
  });

  it("renders web_search as a completed web_search_call with a search action", () => {
    expect(render({ type: "web_search", query: "q" })).toEqual({
      type: "web_search_call",
      id: "ws_emu_1",
      status: "completed",
      action: { type: "search", query: "q" },
    });
  });

  it("renders mcp as a namespaced function_call", () => {
    const item = render({ type: "mcp", server: "docs", tool: "lookup", arguments: { q: 1 } });
    expect(item).toMatchObject({ type: "function_call", name: "lookup", namespace: "mcp__docs" });
    expect(JSON.parse(item.arguments as string)).toEqual({ q: 1 });
  });
});

describe("responses", () => {
  it("frames an event as event: + data: + blank line", () => {
    expect(frameSse(sseEvent("response.created", { response: { id: "r" } }))).toBe(
      'event: response.created\ndata: {"type":"response.created","response":{"id":"r"}}\n\n',
    );
  });

  it("builds created, one output_item.done per item, completed with one shared response id", () => {
    const events = responseEvents(
      [
        { type: "message", text: "a" },
        { type: "web_search", query: "b" },
      ],
      DEFAULT_USAGE,
      createIdSource(),
      "gpt-5.5",
    );
    expect(events.map((event) => [event.event, event.data.output_index])).toEqual([
      ["response.created", undefined],
      ["response.output_item.done", 0],
      ["response.output_item.done", 1],
      ["response.completed", undefined],
    ]);
    const responseIds = [events[0], events[3]].map(
      (event) => (event?.data.response as { id?: string } | undefined)?.id,
    );
    expect(responseIds).toEqual(["resp_emu_1", "resp_emu_1"]);
  });

  it("streams a message with deltas: added, one output_text.delta per chunk on the same item id, then done", () => {
    const events = responseEvents(
      [{ type: "message", text: "Hello world", deltas: ["Hel", "lo world"] }],
      DEFAULT_USAGE,
      createIdSource(),
    );
    expect(events.map((event) => event.event)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_item.done",
      "response.completed",
    ]);
    const [, added, , , finished] = events;
    const done = finished?.data.item as { id: string };
    expect(added?.data.item).toMatchObject({ id: done.id, content: [] });
    expect(events.slice(2, 4).map((event) => [event.data.item_id, event.data.delta])).toEqual([
      [done.id, "Hel"],
      [done.id, "lo world"],
    ]);
  });

  it("resolves usage layers, ignoring undefined fields", () => {
    expect(resolveUsage({ inputTokens: 5, outputTokens: undefined }, { cachedInputTokens: 1 })).toEqual({
      ...DEFAULT_USAGE,
      inputTokens: 5,
      cachedInputTokens: 1,
    });
  });

  it("selects steps by tool-output count, clamping to the last step", () => {
    const turn: Turn = { steps: [{ items: [] }, { fault: "eof" }] };
    expect([0, 1, 2, 40, -1].map((count) => selectStep(turn, count))).toEqual([
      turn.steps[0],
      turn.steps[1],
      turn.steps[1],
      turn.steps[1],
      turn.steps[0],
    ]);
  });
});
