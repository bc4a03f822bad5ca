import type {
  AgentMessageItem,
  CommandExecutionItem,
  ErrorItem,
  FileChangeItem,
  McpToolCallItem,
  ReasoningItem,
  ThreadErrorEvent,
  ThreadEvent,
  ThreadItem,
  ThreadStartedEvent,
  TodoListItem,
  TurnCompletedEvent,
  TurnFailedEvent,
  TurnStartedEvent,
  Usage,
  WebSearchItem,
} from "@openai/codex-sdk";
import { z } from "zod";
import { CodexProviderError } from "./codexError.js";

// Each schema `satisfies z.ZodType<SdkType>`: a bump of @openai/codex-sdk that changes a shape fails to compile
// here. Objects strip what they do not declare: the binary may add fields (web_search's `action`), never drop
// ones we read, and a stripping parse copies only the declared fields (a loose one also walks and copies the
// rest, per event). The one object passed through to callers whole, an MCP tool's `result`, stays loose.

/** `file_change` as codex 0.163 sends it: `item.started` carries `status: "in_progress"`, which the SDK omits. */
export type WireFileChangeItem = Omit<FileChangeItem, "status"> & {
  status: FileChangeItem["status"] | "in_progress";
};
/** A thread item as the binary sends it: the SDK's `ThreadItem`, with the one measured drift above. */
export type WireThreadItem = Exclude<ThreadItem, FileChangeItem> | WireFileChangeItem;
/** A thread event as the binary sends it. */
export type WireThreadEvent =
  | Exclude<ThreadEvent, { type: ItemPhase }>
  | { type: ItemPhase; item: WireThreadItem };

type McpContentBlock = NonNullable<McpToolCallItem["result"]>["content"][number];
type ItemPhase = "item.started" | "item.updated" | "item.completed";

const ITEM_PHASES = [
  "item.started",
  "item.updated",
  "item.completed",
] as const satisfies readonly ItemPhase[];
const commandStatus = z.enum(["in_progress", "completed", "failed"]) satisfies z.ZodType<
  CommandExecutionItem["status"]
>;
const patchStatus = z.enum(["in_progress", "completed", "failed"]) satisfies z.ZodType<
  WireFileChangeItem["status"]
>;
const mcpStatus = z.enum(["in_progress", "completed", "failed"]) satisfies z.ZodType<
  McpToolCallItem["status"]
>;
const changeKind = z.enum(["add", "delete", "update"]) satisfies z.ZodType<
  FileChangeItem["changes"][number]["kind"]
>;
/** The binary sends `null` where the SDK declares an optional field; normalize to absent. */
const absentIfNull = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((value) => value ?? undefined);

/** Schemas of the item types the SDK declares, keyed by `type`. */
export const threadItemSchemas = {
  agent_message: z.object({
    id: z.string(),
    type: z.literal("agent_message"),
    text: z.string(),
  }) satisfies z.ZodType<AgentMessageItem>,
  reasoning: z.object({
    id: z.string(),
    type: z.literal("reasoning"),
    text: z.string(),
  }) satisfies z.ZodType<ReasoningItem>,
  error: z.object({
    id: z.string(),
    type: z.literal("error"),
    message: z.string(),
  }) satisfies z.ZodType<ErrorItem>,
  command_execution: z.object({
    id: z.string(),
    type: z.literal("command_execution"),
    command: z.string(),
    aggregated_output: z.string(),
    exit_code: absentIfNull(z.number().int()),
    status: commandStatus,
  }) satisfies z.ZodType<CommandExecutionItem>,
  file_change: z.object({
    id: z.string(),
    type: z.literal("file_change"),
    changes: z.array(z.object({ path: z.string(), kind: changeKind })),
    status: patchStatus,
  }) satisfies z.ZodType<WireFileChangeItem>,
  mcp_tool_call: z.object({
    id: z.string(),
    type: z.literal("mcp_tool_call"),
    server: z.string(),
    tool: z.string(),
    arguments: z.unknown(),
    result: absentIfNull(
      z.looseObject({
        content: z.array(
          z.custom<McpContentBlock>((value) => typeof value === "object" && value !== null, "content block"),
        ),
        structured_content: z.unknown(),
      }),
    ),
    error: absentIfNull(z.object({ message: z.string() })),
    status: mcpStatus,
  }) satisfies z.ZodType<McpToolCallItem>,
  web_search: z.object({
    id: z.string(),
    type: z.literal("web_search"),
    query: z.string(),
  }) satisfies z.ZodType<WebSearchItem>,
  todo_list: z.object({
    id: z.string(),
    type: z.literal("todo_list"),
    items: z.array(z.object({ text: z.string(), completed: z.boolean() })),
  }) satisfies z.ZodType<TodoListItem>,
} satisfies { [K in ThreadItem["type"]]: z.ZodType<Extract<WireThreadItem, { type: K }>> };

const usageSchema = z.object({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  cache_write_input_tokens: z.number().default(0),
  output_tokens: z.number(),
  reasoning_output_tokens: z.number().default(0),
}) satisfies z.ZodType<Usage>;

/**
 * Structured failure facts the app-server transport adds to `error`/`turn.failed` (from `codexErrorInfo`); `codex
 * exec` never sends them. Declared so the stripping schemas keep them for the classifier.
 */
const transportErrorFacts = {
  error_kind: z.string().optional(),
  http_status_code: z.number().int().optional(),
};

/** Schemas of the top-level events other than item events, keyed by `type`. */
const topLevelSchemas = {
  "thread.started": z.object({
    type: z.literal("thread.started"),
    thread_id: z.string(),
  }) satisfies z.ZodType<ThreadStartedEvent>,
  "turn.started": z.object({ type: z.literal("turn.started") }) satisfies z.ZodType<TurnStartedEvent>,
  "turn.completed": z.object({
    type: z.literal("turn.completed"),
    usage: usageSchema,
  }) satisfies z.ZodType<TurnCompletedEvent>,
  "turn.failed": z.object({
    type: z.literal("turn.failed"),
    error: z.object({ message: z.string(), ...transportErrorFacts }),
  }) satisfies z.ZodType<TurnFailedEvent>,
  error: z.object({
    type: z.literal("error"),
    message: z.string(),
    ...transportErrorFacts,
  }) satisfies z.ZodType<ThreadErrorEvent>,
};

/** An item type the binary emits that the SDK does not declare (e.g. `collab_tool_call`). */
export interface UnknownThreadItem {
  /** Item id. */
  id: string;
  /** The undeclared type name. */
  type: string;
}

/** An item event whose item type the SDK does not declare. */
export interface UnknownItemEvent {
  /** The item phase. */
  type: ItemPhase;
  /** Id and type of the undeclared item. */
  item: UnknownThreadItem;
  /** Marks the event as carrying an undeclared item. */
  unknownItem: true;
}

/** A validated event: the SDK's `ThreadEvent` (as the binary sends it), or an undeclared item type's event. */
export type ParsedThreadEvent = WireThreadEvent | UnknownItemEvent;

const phaseSchema = z.enum(ITEM_PHASES);
/** One event schema per known item type, built once, so each event is checked in exactly one zod pass. */
const itemEventSchemas = new Map<string, z.ZodType<WireThreadEvent>>(
  Object.entries(threadItemSchemas).map(([type, item]) => [
    type,
    z.object({ type: phaseSchema, item }) satisfies z.ZodType<WireThreadEvent>,
  ]),
);
const unknownItemEventSchema = z
  .object({ type: phaseSchema, item: z.object({ id: z.string(), type: z.string() }) })
  .transform(
    ({ type, item }): UnknownItemEvent => ({
      type,
      item: { id: item.id, type: item.type },
      unknownItem: true,
    }),
  );
const eventSchemas = new Map<string, z.ZodType<ParsedThreadEvent>>(Object.entries(topLevelSchemas));

function invalidEvent(index: number, message: string, path: string[], eventType: string): CodexProviderError {
  return new CodexProviderError({
    code: "CODEX_INVALID_EVENT",
    message: `Malformed Codex event #${index} (${eventType}): ${message}`,
    details: { eventIndex: index, path, eventType },
  });
}

function schemaFor(raw: unknown): { schema: z.ZodType<ParsedThreadEvent>; type: string } | undefined {
  const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type !== "string") return undefined;
  if (type === "item.started" || type === "item.updated" || type === "item.completed") {
    const item = (raw as { item?: unknown }).item;
    const itemType =
      typeof item === "object" && item !== null ? (item as { type?: unknown }).type : undefined;
    const known = typeof itemType === "string" ? itemEventSchemas.get(itemType) : undefined;
    return { schema: known ?? unknownItemEventSchema, type };
  }
  return { schema: eventSchemas.get(type) ?? unknownEventSchema, type };
}

const unknownEventSchema: z.ZodType<never> = z.never();

/**
 * Validates one raw SDK event in a single zod pass and returns the parsed value; throws `CODEX_INVALID_EVENT`
 * naming the event's index, type and the path of the first bad field.
 */
export function parseThreadEvent(raw: unknown, index: number): ParsedThreadEvent {
  const found = schemaFor(raw);
  if (found === undefined) throw invalidEvent(index, "type: expected a string", ["type"], "unknown");
  const { schema, type } = found;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = schema === unknownEventSchema ? ["type"] : (issue?.path ?? []).map(String);
  const message =
    schema === unknownEventSchema
      ? `unknown event type "${type}"`
      : `${path.join(".") || "event"}: ${issue?.message}`;
  throw invalidEvent(index, message, path, type);
}
