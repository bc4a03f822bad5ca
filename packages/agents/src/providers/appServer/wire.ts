import { z } from "zod";
import { CodexProviderError, type Exact } from "./core.js";
import type {
  AgentMessageDeltaNotification,
  CommandExecutionOutputDeltaNotification,
  CommandExecutionRequestApprovalParams,
  ErrorNotification,
  FileChangeRequestApprovalParams,
  InitializeResponse,
  ItemCompletedNotification,
  ItemStartedNotification,
  ReasoningSummaryTextDeltaNotification,
  ServerNotificationMethod,
  ServerRequestMethod,
  ThreadStartResponse,
  ThreadTokenUsageUpdatedNotification,
  TurnCompletedNotification,
  TurnPlanUpdatedNotification,
  TurnStartedNotification,
  TurnStartResponse,
} from "./protocol/index.js";
import type { CommandExecutionApprovalDecision } from "./protocol/v2/CommandExecutionApprovalDecision.js";
import type { CommandExecutionStatus } from "./protocol/v2/CommandExecutionStatus.js";
import type { FileChangeApprovalDecision } from "./protocol/v2/FileChangeApprovalDecision.js";
import type { McpToolCallStatus } from "./protocol/v2/McpToolCallStatus.js";
import type { PatchApplyStatus } from "./protocol/v2/PatchApplyStatus.js";
import type { ThreadItem } from "./protocol/v2/ThreadItem.js";
import type { TokenUsageBreakdown } from "./protocol/v2/TokenUsageBreakdown.js";
import type { Turn } from "./protocol/v2/Turn.js";
import type { TurnError } from "./protocol/v2/TurnError.js";
import type { TurnPlanStepStatus } from "./protocol/v2/TurnPlanStepStatus.js";
import type { TurnStatus } from "./protocol/v2/TurnStatus.js";

/**
 * zod schemas for the app-server messages the transport consumes: only the fields we read, unknown fields kept
 * (the protocol is experimental and grows). Each schema `satisfies` the generated type of what it parses (a
 * `Pick` of it), so a regenerated protocol that renames or retypes a consumed field fails to compile here.
 */

// --- enums, exact to the generated unions ---

/** Turn status. */
export const turnStatusSchema = z.enum(["completed", "interrupted", "failed", "inProgress"]);
true satisfies Exact<z.infer<typeof turnStatusSchema>, TurnStatus>;

/** Status of a command execution item. */
export const commandStatusSchema = z.enum(["inProgress", "completed", "failed", "declined"]);
true satisfies Exact<z.infer<typeof commandStatusSchema>, CommandExecutionStatus>;

/** Status of a file change item. */
export const patchStatusSchema = z.enum(["inProgress", "completed", "failed", "declined"]);
true satisfies Exact<z.infer<typeof patchStatusSchema>, PatchApplyStatus>;

/** Status of an MCP tool call item. */
export const mcpStatusSchema = z.enum(["inProgress", "completed", "failed"]);
true satisfies Exact<z.infer<typeof mcpStatusSchema>, McpToolCallStatus>;

/** Status of a plan step (`turn/plan/updated`). */
export const planStepStatusSchema = z.enum(["pending", "inProgress", "completed"]);
true satisfies Exact<z.infer<typeof planStepStatusSchema>, TurnPlanStepStatus>;

/** The four decisions our approval handler can give (all valid for commands and file changes). */
export const approvalDecisionSchema = z.enum(["accept", "acceptForSession", "decline", "cancel"]);
true satisfies Exact<z.infer<typeof approvalDecisionSchema>, FileChangeApprovalDecision>;
approvalDecisionSchema.options satisfies readonly CommandExecutionApprovalDecision[];

/** An approval decision. */
export type ApprovalDecision = z.infer<typeof approvalDecisionSchema>;

// --- responses ---

/** Result of `initialize`. */
export const initializeResultSchema = z.looseObject({
  userAgent: z.string(),
  codexHome: z.string(),
  platformFamily: z.string(),
  platformOs: z.string(),
}) satisfies z.ZodType<InitializeResponse>;

/** Result of `thread/start` (and `thread/resume`): the ids we keep. */
export const threadStartResultSchema = z.looseObject({
  thread: z.looseObject({ id: z.string() }),
  model: z.string(),
  modelProvider: z.string(),
  cwd: z.string(),
}) satisfies z.ZodType<Pick<ThreadStartResponse, "model" | "modelProvider" | "cwd">>;

const turnErrorSchema = z.looseObject({
  message: z.string(),
  codexErrorInfo: z.unknown().nullable(),
  additionalDetails: z.string().nullable(),
}) satisfies z.ZodType<Pick<TurnError, "message" | "additionalDetails">>;

const turnSchema = z.looseObject({
  id: z.string(),
  status: turnStatusSchema,
  error: turnErrorSchema.nullable(),
}) satisfies z.ZodType<Pick<Turn, "id" | "status">>;

/** The part of a generated `Turn` we read. */
type TurnSlice = { turn: Pick<Turn, "id" | "status"> };

/** Result of `turn/start`. */
export const turnStartResultSchema = z.looseObject({ turn: turnSchema }) satisfies z.ZodType<
  TurnSlice & Omit<TurnStartResponse, "turn">
>;

// --- thread items ---

const itemBase = { id: z.string() };

/** The item kinds the mapper turns into events. */
export const knownItemSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("userMessage"),
    ...itemBase,
  }) satisfies z.ZodType<Pick<Extract<ThreadItem, { type: "userMessage" }>, "type" | "id">>,
  z.looseObject({
    type: z.literal("agentMessage"),
    ...itemBase,
    text: z.string(),
  }) satisfies z.ZodType<Pick<Extract<ThreadItem, { type: "agentMessage" }>, "type" | "id" | "text">>,
  z.looseObject({
    type: z.literal("reasoning"),
    ...itemBase,
    summary: z.array(z.string()),
    content: z.array(z.string()),
  }) satisfies z.ZodType<
    Pick<Extract<ThreadItem, { type: "reasoning" }>, "type" | "id" | "summary" | "content">
  >,
  z.looseObject({
    type: z.literal("commandExecution"),
    ...itemBase,
    command: z.string(),
    cwd: z.string(),
    status: commandStatusSchema,
    aggregatedOutput: z.string().nullable(),
    exitCode: z.number().int().nullable(),
    durationMs: z.number().nullable(),
  }) satisfies z.ZodType<
    Pick<
      Extract<ThreadItem, { type: "commandExecution" }>,
      "type" | "id" | "command" | "cwd" | "status" | "aggregatedOutput" | "exitCode" | "durationMs"
    >
  >,
  z.looseObject({
    type: z.literal("fileChange"),
    ...itemBase,
    changes: z.array(
      z.looseObject({
        path: z.string(),
        kind: z.looseObject({ type: z.enum(["add", "delete", "update"]) }),
      }),
    ),
    status: patchStatusSchema,
  }) satisfies z.ZodType<Pick<Extract<ThreadItem, { type: "fileChange" }>, "type" | "id" | "status">>,
  z.looseObject({
    type: z.literal("mcpToolCall"),
    ...itemBase,
    server: z.string(),
    tool: z.string(),
    status: mcpStatusSchema,
    arguments: z.unknown(),
    result: z.looseObject({ content: z.array(z.unknown()), structuredContent: z.unknown() }).nullable(),
    error: z.looseObject({ message: z.string() }).nullable(),
  }) satisfies z.ZodType<
    Pick<Extract<ThreadItem, { type: "mcpToolCall" }>, "type" | "id" | "server" | "tool" | "status" | "error">
  >,
  z.looseObject({
    type: z.literal("webSearch"),
    ...itemBase,
    query: z.string(),
  }) satisfies z.ZodType<Pick<Extract<ThreadItem, { type: "webSearch" }>, "type" | "id" | "query">>,
  z.looseObject({
    type: z.literal("plan"),
    ...itemBase,
    text: z.string(),
  }) satisfies z.ZodType<Pick<Extract<ThreadItem, { type: "plan" }>, "type" | "id" | "text">>,
]);

/** A thread item of a kind the mapper handles. */
export type KnownItem = z.infer<typeof knownItemSchema>;

/** The kinds in {@link knownItemSchema}. */
export const KNOWN_ITEM_TYPES: readonly KnownItem["type"][] = knownItemSchema.options.map(
  (option) => option.shape.type.value,
);

/**
 * An item of a kind we do not map (hookPrompt, imageView, contextCompaction, …): kept as `type: "other"` with its
 * wire kind in `itemType` and the raw object in `raw`, never fatal. The rename keeps `type` a clean discriminant.
 */
export const otherItemSchema = z
  .looseObject({
    type: z.string().refine((type) => !(KNOWN_ITEM_TYPES as readonly string[]).includes(type)),
    id: z.string(),
  })
  .transform((raw) => ({ type: "other" as const, itemType: raw.type, id: raw.id, raw }));

/** Any thread item: a known kind (validated) or another kind (passed through). */
export const threadItemSchema = z.union([knownItemSchema, otherItemSchema]);

/** A parsed thread item. */
export type WireItem = z.infer<typeof threadItemSchema>;

// --- notifications ---

const turnScoped = { threadId: z.string(), turnId: z.string() };

const tokenUsageBreakdownSchema = z.looseObject({
  totalTokens: z.number(),
  inputTokens: z.number(),
  cachedInputTokens: z.number(),
  cacheWriteInputTokens: z.number(),
  outputTokens: z.number(),
  reasoningOutputTokens: z.number(),
}) satisfies z.ZodType<TokenUsageBreakdown>;

/** Params of every notification we consume, by method. */
export const notificationSchemas = {
  "turn/started": z.looseObject({ threadId: z.string(), turn: turnSchema }) satisfies z.ZodType<
    TurnSlice & Omit<TurnStartedNotification, "turn">
  >,
  "item/started": z.looseObject({ ...turnScoped, item: threadItemSchema }) satisfies z.ZodType<
    Pick<ItemStartedNotification, "threadId" | "turnId">
  >,
  "item/completed": z.looseObject({ ...turnScoped, item: threadItemSchema }) satisfies z.ZodType<
    Pick<ItemCompletedNotification, "threadId" | "turnId">
  >,
  "item/agentMessage/delta": z.looseObject({
    ...turnScoped,
    itemId: z.string(),
    delta: z.string(),
  }) satisfies z.ZodType<AgentMessageDeltaNotification>,
  "item/reasoning/summaryTextDelta": z.looseObject({
    ...turnScoped,
    itemId: z.string(),
    delta: z.string(),
    summaryIndex: z.number(),
  }) satisfies z.ZodType<ReasoningSummaryTextDeltaNotification>,
  "item/commandExecution/outputDelta": z.looseObject({
    ...turnScoped,
    itemId: z.string(),
    delta: z.string(),
  }) satisfies z.ZodType<CommandExecutionOutputDeltaNotification>,
  "turn/plan/updated": z.looseObject({
    ...turnScoped,
    explanation: z.string().nullable(),
    plan: z.array(z.looseObject({ step: z.string(), status: planStepStatusSchema })),
  }) satisfies z.ZodType<TurnPlanUpdatedNotification>,
  "thread/tokenUsage/updated": z.looseObject({
    ...turnScoped,
    tokenUsage: z.looseObject({ total: tokenUsageBreakdownSchema, last: tokenUsageBreakdownSchema }),
  }) satisfies z.ZodType<
    Omit<ThreadTokenUsageUpdatedNotification, "tokenUsage"> & {
      tokenUsage: Record<"total" | "last", TokenUsageBreakdown>;
    }
  >,
  error: z.looseObject({
    ...turnScoped,
    error: turnErrorSchema,
    willRetry: z.boolean(),
  }) satisfies z.ZodType<
    Omit<ErrorNotification, "error"> & { error: Pick<TurnError, "message" | "additionalDetails"> }
  >,
  "turn/completed": z.looseObject({ threadId: z.string(), turn: turnSchema }) satisfies z.ZodType<
    TurnSlice & Omit<TurnCompletedNotification, "turn">
  >,
} satisfies Partial<Record<ServerNotificationMethod, z.ZodType>>;

/** A notification method we consume. */
export type ConsumedNotificationMethod = keyof typeof notificationSchemas;

/** A consumed notification, discriminated by `method`. */
export type WireNotification = {
  [M in ConsumedNotificationMethod]: { method: M; params: z.infer<(typeof notificationSchemas)[M]> };
}[ConsumedNotificationMethod];

// --- server requests ---

/** Params of the approval requests, by method. */
export const serverRequestSchemas = {
  "item/commandExecution/requestApproval": z.looseObject({
    ...turnScoped,
    itemId: z.string(),
    command: z.string().nullish(),
    cwd: z.string().nullish(),
    reason: z.string().nullish(),
    availableDecisions: z.array(z.unknown()).nullish(),
  }) satisfies z.ZodType<
    Pick<
      CommandExecutionRequestApprovalParams,
      "threadId" | "turnId" | "itemId" | "command" | "cwd" | "reason"
    >
  >,
  "item/fileChange/requestApproval": z.looseObject({
    ...turnScoped,
    itemId: z.string(),
    reason: z.string().nullish(),
    grantRoot: z.string().nullish(),
  }) satisfies z.ZodType<
    Pick<FileChangeRequestApprovalParams, "threadId" | "turnId" | "itemId" | "reason" | "grantRoot">
  >,
} satisfies Partial<Record<ServerRequestMethod, z.ZodType>>;

/** A server request method we answer with a decision. */
export type ApprovalMethod = keyof typeof serverRequestSchemas;

/** A consumed server request, discriminated by `method`. */
export type WireServerRequest = {
  [M in ApprovalMethod]: { method: M; params: z.infer<(typeof serverRequestSchemas)[M]> };
}[ApprovalMethod];

// --- parsing at the boundary ---

function invalid(what: string, error: z.ZodError): CodexProviderError {
  const issue = error.issues[0];
  return new CodexProviderError({
    code: "CODEX_INVALID_EVENT",
    message:
      `codex app-server sent an unexpected ${what}: ${issue?.path.join(".") || "(root)"} ${issue?.message ?? ""}`.trim(),
    details: { failureCode: "invalid_app_server_message", method: what, path: issue?.path.join(".") },
  });
}

/** True when we consume notifications of this method. */
export function isConsumedNotification(method: string): method is ConsumedNotificationMethod {
  return Object.hasOwn(notificationSchemas, method);
}

/**
 * Validates a notification we consume. Returns `undefined` for methods we ignore (there are ~90);
 * throws `CODEX_INVALID_EVENT` when a consumed one does not match its schema.
 */
export function parseNotification(method: string, params: unknown): WireNotification | undefined {
  if (!isConsumedNotification(method)) return undefined;
  const parsed = notificationSchemas[method].safeParse(params);
  if (!parsed.success) throw invalid(method, parsed.error);
  return { method, params: parsed.data } as WireNotification;
}

/** True when the server request is an approval we answer with a decision. */
export function isApprovalRequest(method: string): method is ApprovalMethod {
  return Object.hasOwn(serverRequestSchemas, method);
}

/** Validates an approval request; `undefined` for other server requests; throws `CODEX_INVALID_EVENT`. */
export function parseServerRequest(method: string, params: unknown): WireServerRequest | undefined {
  if (!isApprovalRequest(method)) return undefined;
  const parsed = serverRequestSchemas[method].safeParse(params);
  if (!parsed.success) throw invalid(method, parsed.error);
  return { method, params: parsed.data } as WireServerRequest;
}

/** Validates a response `result` with its schema; throws `CODEX_INVALID_EVENT` naming the method. */
export function parseResult<T>(method: string, schema: z.ZodType<T>, result: unknown): T {
  const parsed = schema.safeParse(result);
  if (!parsed.success) throw invalid(`${method} result`, parsed.error);
  return parsed.data;
}

/** The structured facts of a `codexErrorInfo`: its variant and the HTTP status it carries, if any. */
export interface CodexErrorInfoFacts {
  /** Variant name, e.g. `usageLimitExceeded`, `httpConnectionFailed`, `other`. */
  kind?: string;
  /** `httpStatusCode` of the variant, when the variant carries one. */
  httpStatusCode?: number;
}

/**
 * Extracts the variant of a `codexErrorInfo` (a bare string like `"contextWindowExceeded"` or a one-key object like
 * `{ httpConnectionFailed: { httpStatusCode: 401 } }`): the first facts the classifier reads, before any text.
 */
export function codexErrorInfoFacts(info: unknown): CodexErrorInfoFacts {
  if (typeof info === "string") return info ? { kind: info } : {};
  if (typeof info !== "object" || info === null || Array.isArray(info)) return {};
  const [kind] = Object.keys(info);
  if (kind === undefined) return {};
  const payload = (info as Record<string, unknown>)[kind];
  const status =
    typeof payload === "object" && payload !== null
      ? (payload as { httpStatusCode?: unknown }).httpStatusCode
      : undefined;
  return typeof status === "number" && Number.isInteger(status) ? { kind, httpStatusCode: status } : { kind };
}
