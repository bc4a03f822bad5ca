import type { ThreadEvent, ThreadItem, Usage } from "@openai/codex-sdk";
import { z } from "zod";
import type {
  ProviderEvent,
  ResultEvent,
  SystemEventMetadata,
  ToolItemDetails,
  ToolPhase,
  UsageMetadata,
} from "../provider.js";
import { CodexProviderError, classifyCodexFailure } from "./codexErrors.js";

/** The shapes of the thread events we rely on; extra fields are allowed, missing ones are not. */
const itemBase = { id: z.string() };
const knownItemSchemas = {
  agent_message: z.looseObject({ ...itemBase, type: z.literal("agent_message"), text: z.string() }),
  reasoning: z.looseObject({ ...itemBase, type: z.literal("reasoning"), text: z.string() }),
  error: z.looseObject({ ...itemBase, type: z.literal("error"), message: z.string() }),
  command_execution: z.looseObject({
    ...itemBase,
    type: z.literal("command_execution"),
    command: z.string(),
    aggregated_output: z.string(),
    exit_code: z.number().int().nullish(),
    status: z.string(),
  }),
  file_change: z.looseObject({
    ...itemBase,
    type: z.literal("file_change"),
    changes: z.array(z.looseObject({ path: z.string(), kind: z.enum(["add", "delete", "update"]) })),
    status: z.string(),
  }),
  mcp_tool_call: z.looseObject({
    ...itemBase,
    type: z.literal("mcp_tool_call"),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown(),
    result: z.unknown().optional(),
    error: z.looseObject({ message: z.string() }).nullish(),
    status: z.string(),
  }),
  web_search: z.looseObject({ ...itemBase, type: z.literal("web_search"), query: z.string() }),
  todo_list: z.looseObject({
    ...itemBase,
    type: z.literal("todo_list"),
    items: z.array(z.looseObject({ text: z.string(), completed: z.boolean() })),
  }),
} satisfies Record<ThreadItem["type"], z.ZodType>;

/** An item type the binary emits that the SDK does not declare (e.g. `collab_tool_call`). */
export interface UnknownThreadItem {
  /** Item id. */
  id: string;
  /** The undeclared type name. */
  type: string;
}

const unknownItemSchema = z.looseObject({ id: z.string(), type: z.string() });
const headSchema = z.looseObject({ type: z.string() });
const itemEventSchema = z.object({ type: z.string(), item: z.looseObject({ type: z.string() }) });
const usageSchema = z.looseObject({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  cache_write_input_tokens: z.number().optional(),
  output_tokens: z.number(),
  reasoning_output_tokens: z.number().optional(),
});
const topLevelSchemas = {
  "thread.started": z.looseObject({ type: z.literal("thread.started"), thread_id: z.string() }),
  "turn.started": z.looseObject({ type: z.literal("turn.started") }),
  "turn.completed": z.looseObject({ type: z.literal("turn.completed"), usage: usageSchema }),
  "turn.failed": z.looseObject({
    type: z.literal("turn.failed"),
    error: z.looseObject({ message: z.string() }),
  }),
  error: z.looseObject({ type: z.literal("error"), message: z.string() }),
} as const;

/** A validated event: the SDK's `ThreadEvent`, or an item event carrying an undeclared item type. */
export type ParsedThreadEvent =
  | ThreadEvent
  | { type: "item.started" | "item.updated" | "item.completed"; item: UnknownThreadItem; unknownItem: true };

function invalidEvent(index: number, message: string, path: (string | number)[], eventType?: string): never {
  throw new CodexProviderError({
    code: "CODEX_INVALID_EVENT",
    message: `Malformed Codex event #${index}${eventType ? ` (${eventType})` : ""}: ${message}`,
    details: { eventIndex: index, path: path.map(String), ...(eventType ? { eventType } : {}) },
  });
}

function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
  index: number,
  prefix: (string | number)[],
  eventType: string,
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [
    ...prefix,
    ...(issue?.path ?? []).map((part) => (typeof part === "symbol" ? String(part) : part)),
  ];
  return invalidEvent(index, `${path.join(".") || "event"}: ${issue?.message ?? "invalid"}`, path, eventType);
}

/** Validates one raw SDK event against the shapes we rely on; throws `CODEX_INVALID_EVENT` with index and path. */
export function parseThreadEvent(raw: unknown, index: number): ParsedThreadEvent {
  const head = check(headSchema, raw, index, [], "unknown");
  const type = head.type;
  if (type === "item.started" || type === "item.updated" || type === "item.completed") {
    const event = check(itemEventSchema, raw, index, [], type);
    const itemType = event.item.type;
    const schema = (knownItemSchemas as Record<string, z.ZodType>)[itemType];
    if (!schema) {
      const item = check(unknownItemSchema, event.item, index, ["item"], type);
      return { type, item: { id: item.id, type: item.type }, unknownItem: true };
    }
    check(schema, event.item, index, ["item"], type);
    return raw as ThreadEvent;
  }
  const schema = (topLevelSchemas as Record<string, z.ZodType>)[type];
  if (!schema) return invalidEvent(index, `unknown event type "${type}"`, ["type"], type);
  check(schema, raw, index, [], type);
  return raw as ThreadEvent;
}

/** `Reconnecting... 2/5 (reason)` and `Reconnecting... waiting for network (...)`: retries, not failures. */
const RECONNECTING = /^Reconnecting\.\.\.\s*(?:(\d+)\/(\d+))?[^(]*(?:\(([\s\S]*)\))?/;

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
  /** A fatal top-level `error` message awaiting its `turn.failed`. */
  fatalMessage?: string;
  /** The terminal result, held until the stream ends cleanly. */
  pendingResult?: ResultEvent;
}

/** What the mapper needs from outside: a clock, the run start, and the redactor for carried text. */
export interface MapperContext {
  /** Current time in ms. */
  now: () => number;
  /** When the run started (ms). */
  startedAt: number;
  /** Removes secrets from any text carried from the binary or the server. */
  redact: (text: string) => string;
  /** Secret values, for error classification. */
  secrets: readonly string[];
}

/** A fresh mapper state. */
export function createMapperState(): MapperState {
  return { index: 0, threadId: null, lastAgentMessage: "", announced: new Set() };
}

function toUsage(usage: Usage): UsageMetadata {
  const cacheWrite = usage.cache_write_input_tokens ?? 0;
  const reasoning = usage.reasoning_output_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens,
    cachedInputTokens: usage.cached_input_tokens,
    cacheWriteInputTokens: cacheWrite,
    outputTokens: usage.output_tokens,
    reasoningOutputTokens: reasoning,
    totalTokens: usage.input_tokens + usage.output_tokens,
  };
}

type ToolItem = Extract<ThreadItem, { type: ToolItemDetails["itemType"] }>;

/** Redacts a JSON-shaped payload (MCP arguments and results) only when it actually carries a secret. */
function redactJson(value: unknown, redact: (text: string) => string): unknown {
  if (value === undefined) return value;
  const text = JSON.stringify(value);
  const redacted = redact(text);
  if (redacted === text) return value;
  try {
    return JSON.parse(redacted);
  } catch {
    return redacted;
  }
}

function toolDetails(
  item: ToolItem,
  redact: (text: string) => string,
): { content: string; details: ToolItemDetails } {
  switch (item.type) {
    case "command_execution":
      return {
        content: redact(item.command),
        details: {
          itemType: item.type,
          command: redact(item.command),
          status: item.status,
          exitCode: item.exit_code ?? null,
          output: redact(item.aggregated_output),
        },
      };
    case "file_change":
      return {
        content: redact(item.changes.map((change) => `${change.kind} ${change.path}`).join("\n")),
        details: {
          itemType: item.type,
          status: item.status,
          changes: item.changes.map(({ path, kind }) => ({ path: redact(path), kind })),
        },
      };
    case "mcp_tool_call":
      return {
        content: `${item.server}.${item.tool}`,
        details: {
          itemType: item.type,
          status: item.status,
          server: item.server,
          tool: item.tool,
          arguments: redactJson(item.arguments, redact),
          ...(item.result != null ? { result: redactJson(item.result, redact) } : {}),
          ...(item.error ? { error: redact(item.error.message) } : {}),
        },
      };
    case "web_search":
      return { content: redact(item.query), details: { itemType: item.type, query: redact(item.query) } };
    case "todo_list":
      return {
        content: redact(
          item.items.map((entry) => `[${entry.completed ? "x" : " "}] ${entry.text}`).join("\n"),
        ),
        details: {
          itemType: item.type,
          items: item.items.map(({ text, completed }) => ({ text: redact(text), completed })),
        },
      };
    default:
      return item satisfies never;
  }
}

const PHASES = {
  "item.started": "started",
  "item.updated": "updated",
  "item.completed": "completed",
} as const;

function mapItem(
  eventType: keyof typeof PHASES,
  item: ThreadItem,
  state: MapperState,
  context: MapperContext,
): ProviderEvent[] {
  const timestamp = context.now();
  const phase: ToolPhase = PHASES[eventType];
  const system = (content: string, metadata: SystemEventMetadata): ProviderEvent => ({
    type: "system",
    content,
    timestamp,
    metadata,
  });
  switch (item.type) {
    case "agent_message":
      if (phase !== "completed") return [];
      state.lastAgentMessage = context.redact(item.text);
      return [
        { type: "assistant", content: state.lastAgentMessage, timestamp, metadata: { itemId: item.id } },
      ];
    case "reasoning":
      if (phase !== "completed") return [];
      return [system(context.redact(item.text), { subtype: "reasoning", itemId: item.id })];
    case "error": {
      // Warnings arrive as completed items; should one also arrive as started, report it once.
      const seen = state.announced.has(item.id);
      if (phase === "started") state.announced.add(item.id);
      else state.announced.delete(item.id);
      if (phase === "updated" || seen) return [];
      return [system(context.redact(item.message), { subtype: "warning", itemId: item.id })];
    }
    case "command_execution":
    case "file_change":
    case "mcp_tool_call":
    case "web_search":
    case "todo_list": {
      const { content, details } = toolDetails(item, context.redact);
      const use = (usePhase: ToolPhase): ProviderEvent => ({
        type: "tool_use",
        content,
        timestamp,
        metadata: { ...details, itemId: item.id, phase: usePhase },
      });
      if (phase !== "completed") {
        state.announced.add(item.id);
        return [use(phase)];
      }
      const events: ProviderEvent[] = [];
      // A tool item first seen at completion still gets its `tool_use`, so every result has a use.
      if (!state.announced.has(item.id)) events.push(use("started"));
      state.announced.delete(item.id);
      const resultContent = details.itemType === "command_execution" ? details.output : content;
      events.push({
        type: "tool_result",
        content: resultContent,
        timestamp,
        metadata: { ...details, itemId: item.id, phase },
      });
      return events;
    }
    default:
      return item satisfies never;
  }
}

/**
 * Maps one raw SDK event to normalized events, enforcing the ordering rules: nothing after the
 * terminal result, fatal errors thrown once. Throws a `CodexProviderError`.
 */
export function mapThreadEvent(raw: unknown, state: MapperState, context: MapperContext): ProviderEvent[] {
  const index = state.index++;
  const event = parseThreadEvent(raw, index);
  if (state.pendingResult) {
    return invalidEvent(index, `"${event.type}" arrived after the terminal result`, ["type"], event.type);
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
      return [];
    case "item.started":
    case "item.updated":
    case "item.completed":
      return mapItem(event.type, event.item, state, context);
    case "error": {
      const reconnecting = parseReconnecting(event.message);
      if (reconnecting)
        return [
          { type: "system", content: context.redact(event.message), timestamp, metadata: reconnecting },
        ];
      state.fatalMessage = event.message;
      return [];
    }
    case "turn.failed":
      throw classifyCodexFailure({
        message: event.error.message || state.fatalMessage,
        secrets: context.secrets,
      });
    case "turn.completed": {
      const usage = toUsage(event.usage);
      state.pendingResult = {
        type: "result",
        content: state.lastAgentMessage,
        timestamp,
        metadata: { threadId: state.threadId, usage, durationMs: Math.max(0, timestamp - context.startedAt) },
      };
      const summary = `tokens: ${usage.inputTokens} in (${usage.cachedInputTokens} cached), ${usage.outputTokens} out (${usage.reasoningOutputTokens} reasoning)`;
      return [{ type: "usage", content: summary, timestamp, metadata: usage }];
    }
    default:
      return event satisfies never;
  }
}

/** Ends the stream: the held result, or `CODEX_MISSING_RESULT` (or the pending fatal error) if none came. */
export function finishThreadEvents(state: MapperState, context: MapperContext): ResultEvent {
  if (state.pendingResult) return { ...state.pendingResult, timestamp: context.now() };
  if (state.fatalMessage !== undefined) {
    throw classifyCodexFailure({ message: state.fatalMessage, secrets: context.secrets });
  }
  throw new CodexProviderError({
    code: "CODEX_MISSING_RESULT",
    message: `Codex stream ended after ${state.index} events without a terminal result (turn.completed).`,
    details: { eventCount: state.index },
  });
}

/** Classifies a failure thrown while streaming, using the fatal message the stream already carried. */
export function failThreadEvents(
  error: unknown,
  state: MapperState,
  context: MapperContext,
  timeout?: { timedOut: boolean; timeoutMs?: number },
): CodexProviderError {
  if (CodexProviderError.isInstance(error)) return error;
  return classifyCodexFailure({
    error,
    ...(state.fatalMessage !== undefined ? { message: state.fatalMessage } : {}),
    ...(timeout?.timedOut
      ? { timedOut: true, ...(timeout.timeoutMs !== undefined ? { timeoutMs: timeout.timeoutMs } : {}) }
      : {}),
    secrets: context.secrets,
  });
}
