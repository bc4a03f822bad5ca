import type {
  ProviderEvent,
  ResultEvent,
  SystemEventMetadata,
  ToolItemDetails,
  ToolPhase,
  UsageMetadata,
} from "../provider.js";
import { CodexProviderError } from "./codexError.js";
import { toUsageMetadata, turnUsage } from "./codexThreadUsage.js";
import { parseThreadEvent, type WireThreadItem } from "./codexWire.js";

/** Bytes of `aggregated_output` at which codex 0.163 stops collecting a command's output (1 MiB). */
export const CODEX_OUTPUT_CAP_BYTES = 1_048_576;

/** `Reconnecting... 2/5 (reason)` and `Reconnecting... waiting for network (...)`: retries, not failures. */
const RECONNECTING = /^Reconnecting\.\.\.\s*(?:(\d+)\/(\d+))?[^(]*(?:\(([\s\S]*)\))?/;
/** HTTP statuses a retry cannot fix: codex would only repeat the same answer. */
const FINAL_STATUS = /\bstatus:?\s*(4\d\d)\b/i;
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

/** Parses a retry notice; `undefined` when the message is a fatal error. */
export function parseReconnecting(
  message: string,
): Extract<SystemEventMetadata, { subtype: "reconnecting" }> | undefined {
  const match = RECONNECTING.exec(message);
  if (!match) return undefined;
  const [, attempt, max, reason] = match;
  return {
    subtype: "reconnecting",
    ...(attempt ? { attempt: Number(attempt), maxAttempts: Number(max) } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Why a retry notice should end the run now, or `undefined` to let codex keep retrying: a 4xx reason other than
 * 408/409/425/429 (401, 403, 400, 404, 422: the same request gets the same answer), or codex "waiting for
 * network" (after its retries it waits for a network that may never come).
 */
export function finalReconnectReason(message: string): string | undefined {
  if (/^Reconnecting\.\.\.\s*waiting for network/i.test(message)) return message;
  const reason = parseReconnecting(message)?.reason;
  // A refused websocket upgrade is followed by codex's fallback to HTTPS, which may well succeed.
  if (reason === undefined || /\burl:\s*wss?:\/\//i.test(reason)) return undefined;
  const status = FINAL_STATUS.exec(reason)?.[1];
  if (status === undefined || RETRYABLE_4XX.has(Number(status))) return undefined;
  return reason;
}

/** Mutable state of one run's mapper. */
export interface MapperState {
  /** How many raw events were seen. */
  index: number;
  /** Thread id from `thread.started`. */
  threadId: string | null;
  /** Text of the last agent message: the result's content. */
  lastAgentMessage: string;
  /** Tool items already announced with `tool_use`. */
  announced: Set<string>;
  /** The fatal message of an `error`/`turn.failed`, or of a retry notice that cannot succeed. */
  fatalMessage?: string;
  /** True when `fatalMessage` came from a retry notice codex would keep retrying (the provider must stop it). */
  stopNow?: boolean;
  /** The first malformed or misplaced event. */
  invalid?: CodexProviderError;
  /** The terminal result, held until the stream ends cleanly. */
  pendingResult?: ResultEvent;
  /** Structured facts of the fatal error (app-server `codexErrorInfo`), read by the classifier before the text. */
  fatalFacts?: { errorKind?: string; statusCode?: number };
  /** Characters of each agent message already emitted as partial text (`partialMessages`). */
  partialChars?: Map<string, number>;
}

/** What the mapper needs from outside. */
export interface MapperContext {
  /** Current time in ms. */
  now: () => number;
  /** When the run started (ms). */
  startedAt: number;
  /** End the run at a retry notice whose reason cannot succeed (default on). */
  failFastReconnects: boolean;
  /** Cap on the characters of a tool's output an event carries (head and tail kept); none when undefined. */
  maxToolOutputChars?: number;
  /** The thread's token total before this turn (resumed thread); `turn.completed.usage` counts from it. */
  threadUsageBefore?: UsageMetadata;
  /** Emit the new text of `agent_message` updates as partial `assistant` events. */
  partialMessages?: boolean;
}

/** With `partialMessages`, the text an update adds to what was already emitted for the item; else `undefined`. */
function partialText(
  itemId: string,
  text: string,
  state: MapperState,
  context: MapperContext,
): string | undefined {
  if (!context.partialMessages) return undefined;
  state.partialChars ??= new Map();
  const seen = state.partialChars.get(itemId) ?? 0;
  if (text.length <= seen) return undefined;
  state.partialChars.set(itemId, text.length);
  return text.slice(seen);
}

/** The structured facts an `error`/`turn.failed` event of the app-server transport carries, if any. */
function errorFacts(raw: object): MapperState["fatalFacts"] {
  const { error_kind: errorKind, http_status_code: statusCode } = raw as Record<string, unknown>;
  if (typeof errorKind !== "string") return undefined;
  return { errorKind, ...(typeof statusCode === "number" ? { statusCode } : {}) };
}

/** A fresh mapper state. */
export function createMapperState(): MapperState {
  return { index: 0, threadId: null, lastAgentMessage: "", announced: new Set() };
}

const NOTHING: readonly ProviderEvent[] = [];

/** Keeps the head and tail of an over-long text with a marker naming what was left out. */
export function capText(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  const omitted = text.length - max;
  const head = Math.ceil(max / 2);
  return `${text.slice(0, head)}\n…[${omitted} characters omitted]…\n${text.slice(text.length - (max - head))}`;
}

/** True when codex cut the output at its cap (it adds no marker of its own). */
function cutByCodex(output: string): boolean {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most outputs are decided without counting.
  if (output.length * 3 < CODEX_OUTPUT_CAP_BYTES) return false;
  return Buffer.byteLength(output, "utf8") >= CODEX_OUTPUT_CAP_BYTES;
}

type ToolItem = Extract<WireThreadItem, { type: ToolItemDetails["itemType"] }>;

function toolDetails(item: ToolItem, context: MapperContext): ToolItemDetails {
  switch (item.type) {
    case "command_execution":
      return {
        itemType: item.type,
        command: item.command,
        status: item.status,
        exitCode: item.exit_code ?? null,
        output: capText(item.aggregated_output, context.maxToolOutputChars),
        truncated: cutByCodex(item.aggregated_output),
      };
    case "file_change":
      return {
        itemType: item.type,
        status: item.status,
        changes: item.changes.map(({ path, kind }) => ({ path, kind })),
      };
    case "mcp_tool_call": {
      const details: ToolItemDetails = {
        itemType: item.type,
        status: item.status,
        server: item.server,
        tool: item.tool,
        arguments: item.arguments,
      };
      if (item.result !== undefined) details.result = item.result;
      if (item.error !== undefined) details.error = item.error.message;
      return details;
    }
    case "web_search":
      return { itemType: item.type, query: item.query };
    case "todo_list":
      return { itemType: item.type, items: item.items.map(({ text, completed }) => ({ text, completed })) };
    default:
      return item satisfies never;
  }
}

function toolContent(details: ToolItemDetails): string {
  switch (details.itemType) {
    case "command_execution":
      return details.command;
    case "file_change":
      return details.changes.map((change) => `${change.kind} ${change.path}`).join("\n");
    case "mcp_tool_call":
      return `${details.server}.${details.tool}`;
    case "web_search":
      return details.query;
    case "todo_list":
      return details.items.map((entry) => `[${entry.completed ? "x" : " "}] ${entry.text}`).join("\n");
    default:
      return details satisfies never;
  }
}

const PHASES = {
  "item.started": "started",
  "item.updated": "updated",
  "item.completed": "completed",
} as const;

function toolUse(
  details: ToolItemDetails,
  content: string,
  itemId: string,
  phase: ToolPhase,
  timestamp: number,
) {
  return {
    type: "tool_use",
    content,
    timestamp,
    metadata: { itemId, phase, ...details },
  } satisfies ProviderEvent;
}

function mapItem(
  phase: ToolPhase,
  item: WireThreadItem,
  state: MapperState,
  context: MapperContext,
  timestamp: number,
): readonly ProviderEvent[] {
  switch (item.type) {
    case "agent_message": {
      if (phase !== "completed") {
        const text = partialText(item.id, item.text, state, context);
        if (text === undefined) return NOTHING;
        return [
          {
            type: "assistant",
            content: text,
            timestamp,
            metadata: { itemId: item.id, partial: true },
          },
        ];
      }
      state.partialChars?.delete(item.id);
      state.lastAgentMessage = item.text;
      return [{ type: "assistant", content: item.text, timestamp, metadata: { itemId: item.id } }];
    }
    case "reasoning": {
      if (phase !== "completed") {
        const text = partialText(item.id, item.text, state, context);
        if (text === undefined) return NOTHING;
        return [
          {
            type: "system",
            content: text,
            timestamp,
            metadata: { subtype: "reasoning", itemId: item.id, partial: true },
          },
        ];
      }
      state.partialChars?.delete(item.id);
      return [
        {
          type: "system",
          content: item.text,
          timestamp,
          metadata: { subtype: "reasoning", itemId: item.id },
        },
      ];
    }
    case "error": {
      // Warnings arrive as completed items; should one also arrive as started, report it once.
      const seen = state.announced.has(item.id);
      if (phase === "started") state.announced.add(item.id);
      else state.announced.delete(item.id);
      if (phase === "updated" || seen) return NOTHING;
      return [
        {
          type: "system",
          content: item.message,
          timestamp,
          metadata: { subtype: "warning", itemId: item.id },
        },
      ];
    }
    case "command_execution":
    case "file_change":
    case "mcp_tool_call":
    case "web_search":
    case "todo_list": {
      const details = toolDetails(item, context);
      const content = toolContent(details);
      if (phase !== "completed") {
        state.announced.add(item.id);
        return [toolUse(details, content, item.id, phase, timestamp)];
      }
      const resultContent = details.itemType === "command_execution" ? details.output : content;
      const result: ProviderEvent = {
        type: "tool_result",
        content: resultContent,
        timestamp,
        metadata: { itemId: item.id, phase, ...details },
      };
      // A tool item first seen at completion still gets its `tool_use`, so every result has a use.
      const announced = state.announced.delete(item.id);
      return announced ? [result] : [toolUse(details, content, item.id, "started", timestamp), result];
    }
    default:
      return item satisfies never;
  }
}

/**
 * Maps one raw SDK event to normalized events. Never throws: a malformed event, an event after the terminal
 * result, a fatal `error`/`turn.failed` or a retry notice that cannot succeed is recorded in `state` for the
 * run's settle step, and maps to nothing.
 */
export function mapThreadEvent(
  raw: unknown,
  state: MapperState,
  context: MapperContext,
): readonly ProviderEvent[] {
  const index = state.index++;
  if (state.invalid !== undefined) return NOTHING;
  let event: ReturnType<typeof parseThreadEvent>;
  try {
    event = parseThreadEvent(raw, index);
  } catch (error) {
    state.invalid = error as CodexProviderError;
    return NOTHING;
  }
  if (state.pendingResult) {
    state.invalid = new CodexProviderError({
      code: "CODEX_INVALID_EVENT",
      message: `Malformed Codex event #${index} (${event.type}): "${event.type}" arrived after the terminal result`,
      details: { eventIndex: index, path: ["type"], eventType: event.type },
    });
    return NOTHING;
  }
  const timestamp = context.now();
  if ("unknownItem" in event) {
    const phase = PHASES[event.type];
    return [
      {
        type: "system",
        content: `Codex item "${event.item.type}" ${phase}`,
        timestamp,
        metadata: { subtype: "unknown_item", itemId: event.item.id, itemType: event.item.type, phase },
      },
    ];
  }
  switch (event.type) {
    case "thread.started":
      state.threadId = event.thread_id;
      return [
        {
          type: "system",
          content: `Codex thread ${event.thread_id} started`,
          timestamp,
          metadata: { subtype: "thread_started", threadId: event.thread_id },
        },
      ];
    case "turn.started":
      return NOTHING;
    case "item.started":
    case "item.updated":
    case "item.completed":
      return mapItem(PHASES[event.type], event.item, state, context, timestamp);
    case "error": {
      const reconnecting = parseReconnecting(event.message);
      if (!reconnecting) {
        if (state.fatalMessage === undefined) state.fatalFacts = errorFacts(event);
        state.fatalMessage ??= event.message;
        return NOTHING;
      }
      const final = context.failFastReconnects ? finalReconnectReason(event.message) : undefined;
      if (final !== undefined && state.fatalMessage === undefined) {
        state.fatalMessage = final;
        state.stopNow = true;
      }
      return [{ type: "system", content: event.message, timestamp, metadata: reconnecting }];
    }
    case "turn.failed":
      if (!state.stopNow) {
        state.fatalFacts = errorFacts(event.error) ?? state.fatalFacts;
        state.fatalMessage = event.error.message || state.fatalMessage || "turn failed";
      }
      return NOTHING;
    case "turn.completed": {
      // codex reports the thread's running total; this turn's tokens are what it added.
      const threadUsage = toUsageMetadata(event.usage);
      const usage = turnUsage(threadUsage, context.threadUsageBefore);
      state.pendingResult = {
        type: "result",
        content: state.lastAgentMessage,
        timestamp,
        metadata: {
          threadId: state.threadId,
          usage,
          threadUsage,
          durationMs: Math.max(0, timestamp - context.startedAt),
        },
      };
      const summary = `tokens: ${usage.inputTokens} in (${usage.cachedInputTokens} cached), ${usage.outputTokens} out (${usage.reasoningOutputTokens} reasoning)`;
      return [{ type: "usage", content: summary, timestamp, metadata: usage }];
    }
    default:
      return event satisfies never;
  }
}
