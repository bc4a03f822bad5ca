import type { Fault } from "./faults.js";

/** Token counts reported in `response.completed.response.usage`. */
export interface UsageFigures {
  /** `usage.input_tokens`. */
  inputTokens: number;
  /** `usage.input_tokens_details.cached_tokens`. */
  cachedInputTokens: number;
  /** `usage.output_tokens`. */
  outputTokens: number;
  /** `usage.output_tokens_details.reasoning_tokens`. */
  reasoningTokens: number;
}

/** One model output item, rendered as the Responses API item that makes codex emit the matching thread item. */
export type OutputItem =
  /**
   * Assistant message → `agent_message`. With `deltas`, the text is also streamed first: `output_item.added`, one
   * `response.output_text.delta` per chunk (app-server's `item/agentMessage/delta`), then `output_item.done`.
   */
  | { type: "message"; text: string; deltas?: string[] }
  /** A structured-output answer: an assistant message whose text is `JSON.stringify(value)`. */
  | { type: "json"; value: unknown }
  /** Reasoning summary → `reasoning` (an empty text yields no item). */
  | { type: "reasoning"; text: string }
  /** `function_call` `exec_command` → `command_execution`; the command really runs in codex's sandbox. */
  | { type: "exec"; cmd: string; login?: boolean }
  /** `custom_tool_call` `apply_patch` → `file_change`; `patch` is `*** Begin Patch ... *** End Patch`. */
  | { type: "apply_patch"; patch: string }
  /** `function_call` `update_plan` → `todo_list` (needs config `tools.update_plan={enabled=true}`). */
  | { type: "update_plan"; plan: { step: string; status: "pending" | "in_progress" | "completed" }[] }
  /** `web_search_call` → `web_search`. */
  | { type: "web_search"; query: string }
  /** `function_call` with namespace `mcp__<server>` → `mcp_tool_call` (needs `mcp_servers.<server>` config). */
  | { type: "mcp"; server: string; tool: string; arguments: unknown };

/** A normal scripted response: its output items, then `response.completed`. */
export interface ScriptedResponse {
  /** Output items, each sent as one `response.output_item.done` event. */
  items: OutputItem[];
  /** Usage for this response, over the emulator's defaults. */
  usage?: Partial<UsageFigures>;
  /** Pause in milliseconds before each SSE event after `response.created` (a slow stream). */
  delayMs?: number;
}

/** What the emulator answers to one POST of a turn: a response or a fault. */
export type Step = ScriptedResponse | Fault;

/** A scripted turn: step `i` answers the POST that carries `i` tool outputs (the last step repeats). */
export interface Turn {
  /** Steps in order; must not be empty. */
  steps: Step[];
}

/** One server-sent event: its `event:` name and JSON `data:`. */
export interface SseEvent {
  /** Value of the `event:` line; equals `data.type`. */
  event: string;
  /** Payload serialized on the `data:` line. */
  data: Record<string, unknown>;
}

/** Usage figures used when neither the step nor the emulator options give one. */
export const DEFAULT_USAGE: UsageFigures = {
  inputTokens: 120,
  cachedInputTokens: 20,
  outputTokens: 30,
  reasoningTokens: 10,
};

/** Text of the turn the emulator plays when no script is given. */
export const DEFAULT_MESSAGE = "Hello from the Codex emulator.";

/** The turn the emulator plays when no script is given: one assistant message. */
export const DEFAULT_TURN: Turn = { steps: [{ items: [{ type: "message", text: DEFAULT_MESSAGE }] }] };

/** Picks the step that answers a POST carrying `toolOutputs` tool outputs; clamps to the last step. */
export function selectStep(turn: Turn, toolOutputs: number): Step | undefined {
  return turn.steps[Math.min(Math.max(toolOutputs, 0), turn.steps.length - 1)];
}

/** Makes ids unique within one emulator, so retried and concurrent responses never share one. */
export type IdSource = (prefix: string) => string;

/** Creates a counter-based {@link IdSource}: `msg_emu_1`, `call_emu_2`, ... */
export function createIdSource(): IdSource {
  let next = 0;
  return (prefix) => `${prefix}_emu_${++next}`;
}

/** Renders one scripted item as a Responses API output item. */
export function renderItem(item: OutputItem, ids: IdSource): Record<string, unknown> {
  switch (item.type) {
    case "message":
      return {
        type: "message",
        id: ids("msg"),
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: item.text, annotations: [] }],
      };
    case "json":
      return renderItem({ type: "message", text: JSON.stringify(item.value) ?? "null" }, ids);
    case "reasoning":
      return {
        type: "reasoning",
        id: ids("rs"),
        summary: item.text === "" ? [] : [{ type: "summary_text", text: item.text }],
      };
    case "exec":
      return functionCall(ids, "exec_command", { cmd: item.cmd, login: item.login ?? false });
    case "apply_patch":
      return {
        type: "custom_tool_call",
        id: ids("ctc"),
        status: "completed",
        call_id: ids("call"),
        name: "apply_patch",
        input: item.patch,
      };
    case "update_plan":
      return functionCall(ids, "update_plan", { plan: item.plan });
    case "web_search":
      return {
        type: "web_search_call",
        id: ids("ws"),
        status: "completed",
        action: { type: "search", query: item.query },
      };
    case "mcp":
      return { ...functionCall(ids, item.tool, item.arguments ?? {}), namespace: `mcp__${item.server}` };
    default:
      return item satisfies never;
  }
}

function functionCall(ids: IdSource, name: string, args: unknown): Record<string, unknown> {
  return {
    type: "function_call",
    id: ids("fc"),
    status: "completed",
    call_id: ids("call"),
    name,
    arguments: JSON.stringify(args),
  };
}

/** Renders usage figures in the Responses API `usage` shape. */
export function renderUsage(usage: UsageFigures): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** Builds an SSE event whose `event:` name is the payload's `type`. */
export function sseEvent(type: string, fields: Record<string, unknown>): SseEvent {
  return { event: type, data: { type, ...fields } };
}

/** Frames one event for the wire: `event:` line, `data:` line, blank line. */
export function frameSse(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** `response.created` for a response id. */
export function createdEvent(responseId: string, model: string | undefined): SseEvent {
  return sseEvent("response.created", {
    response: { id: responseId, object: "response", status: "in_progress", model, output: [] },
  });
}

/** One `response.output_item.done` per item, in order; a message with `deltas` is streamed before it. */
export function itemEvents(items: OutputItem[], ids: IdSource): SseEvent[] {
  return items.flatMap((item, index) => {
    const rendered = renderItem(item, ids);
    const done = sseEvent("response.output_item.done", { output_index: index, item: rendered });
    if (item.type !== "message" || item.deltas === undefined) return [done];
    const itemId = rendered.id;
    return [
      sseEvent("response.output_item.added", {
        output_index: index,
        item: { ...rendered, status: "in_progress", content: [] },
      }),
      ...item.deltas.map((delta) =>
        sseEvent("response.output_text.delta", {
          item_id: itemId,
          output_index: index,
          content_index: 0,
          delta,
        }),
      ),
      done,
    ];
  });
}

/** `response.completed` carrying the response id and usage. */
export function completedEvent(responseId: string, model: string | undefined, usage: UsageFigures): SseEvent {
  return sseEvent("response.completed", {
    response: { id: responseId, object: "response", status: "completed", model, usage: renderUsage(usage) },
  });
}

/** The full event sequence of a successful response. */
export function responseEvents(
  items: OutputItem[],
  usage: UsageFigures,
  ids: IdSource,
  model?: string,
): SseEvent[] {
  const responseId = ids("resp");
  return [
    createdEvent(responseId, model),
    ...itemEvents(items, ids),
    completedEvent(responseId, model, usage),
  ];
}

/** Merges partial usage layers over {@link DEFAULT_USAGE}; later layers win. */
export function resolveUsage(...layers: (Partial<UsageFigures> | undefined)[]): UsageFigures {
  return Object.assign({}, DEFAULT_USAGE, ...layers.map((layer) => stripUndefined(layer ?? {})));
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
