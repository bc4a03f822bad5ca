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
import { TREE_DEPTH } from "./codexRedaction.js";

// Each schema `satisfies z.ZodType<SdkType>`: a bump of @openai/codex-sdk that changes a shape fails to compile
// here. Objects strip what they do not declare: the binary may add fields (web_search's `action`), never drop
// ones we read, and a stripping parse copies only the declared fields (a loose one also walks and copies the
// rest, per event). The one object passed through to callers whole, an MCP tool's `result`, stays loose.

/** `file_change` as codex 0.163 sends it: `item.started` carries `status: "in_progress"`, which the SDK omits. */
export type WireFileChangeItem = Omit<FileChangeItem, "status"> & {
  status: FileChangeItem["status"] | "in_progress";
};
/** `command_execution` as codex 0.163 sends it: `exit_code: null` while running, where the SDK omits it. */
export type WireCommandExecutionItem = Omit<CommandExecutionItem, "exit_code"> & {
  exit_code?: number | null;
};
/** A thread item as the binary sends it: the SDK's `ThreadItem`, with the measured drifts above. */
export type WireThreadItem =
  | Exclude<ThreadItem, FileChangeItem | CommandExecutionItem>
  | WireFileChangeItem
  | WireCommandExecutionItem;
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
/**
 * The binary sends `null` where the SDK declares an optional field; normalize to absent. A transform costs a
 * zod pipe per value (~4× the parse of a whole item): hot fields (`exit_code`) stay nullable instead.
 */
const absentIfNull = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((value) => value ?? undefined);

/** How many levels of a passed-through value `jsonData` copies: past where the redactor's `built` walk reads. */
const JSON_DATA_DEPTH = TREE_DEPTH;

/**
 * A value passed through to callers as it came, as fresh JSON data: arrays and object literals holding the
 * value's own enumerable string-keyed properties (read like `JSON.stringify` does), `JSON_DATA_DEPTH` levels
 * deep. The SDK's values are parsed JSONL, so this is only a copy for them; a custom `createClient` may hand
 * anything (getters, hidden or symbol keys), and the copy is what lets the run handle walk every event as plain
 * data (`RunRedactor.built`). Other objects (Map, Date, class instances, null-prototype objects) and what lies
 * deeper are kept as they are, for the redactor's general walk.
 */
function toJsonData(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth > JSON_DATA_DEPTH) return value;
  const proto = Reflect.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const source = value as unknown[];
    const out: unknown[] = [];
    for (let index = 0; index < source.length; index++) out.push(toJsonData(source[index], depth + 1));
    return out;
  }
  if (proto !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    // A key named `__proto__` must stay data, as JSON.parse makes it, not set the copy's prototype.
    Reflect.defineProperty(out, key, {
      value: toJsonData((value as Record<string, unknown>)[key], depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}
const jsonData = z.unknown().transform((value) => toJsonData(value, 0));

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
    exit_code: z.number().int().nullish(),
    status: commandStatus,
  }) satisfies z.ZodType<WireCommandExecutionItem>,
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
    arguments: jsonData,
    result: absentIfNull(
      jsonData.pipe(
        z.looseObject({
          content: z.array(
            z.custom<McpContentBlock>(
              (value) => typeof value === "object" && value !== null,
              "content block",
            ),
          ),
          structured_content: z.unknown(),
        }),
      ),
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
/**
 * One event schema per known item type, built once, so each event is checked in exactly one zod pass. Each is
 * `z.compile`d: zod generates one function per schema (no per-field dispatch, no per-field result objects),
 * ~2× faster per event; an invalid event falls back to the regular parser, so its issues are zod's usual ones.
 */
const itemEventSchemas = new Map<string, z.ZodType<WireThreadEvent>>(
  Object.entries(threadItemSchemas).map(([type, item]) => [
    type,
    z.compile(z.object({ type: phaseSchema, item }) satisfies z.ZodType<WireThreadEvent>),
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
const eventSchemas = new Map<string, z.ZodType<ParsedThreadEvent>>(
  Object.entries(topLevelSchemas).map(([type, schema]) => [type, z.compile(schema)]),
);

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
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = schema.safeParse(raw);
  } catch (error) {
    // Only a custom `createClient` can hand values that throw when read (a getter); the SDK's are parsed JSON.
    throw invalidEvent(index, `event: could not be read (${String(error)})`, [], type);
  }
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = schema === unknownEventSchema ? ["type"] : (issue?.path ?? []).map(String);
  const message =
    schema === unknownEventSchema
      ? `unknown event type "${type}"`
      : `${path.join(".") || "event"}: ${issue?.message}`;
  throw invalidEvent(index, message, path, type);
}
