import type { ThreadEvent, ThreadItem, Usage } from "@openai/codex-sdk";
import { codexErrorInfoFacts, type WireItem, type WireNotification } from "./wire.js";

/**
 * Translates one turn's app-server notifications into the SDK's `ThreadEvent`s (the shapes `codex exec` prints),
 * so the provider's wire parser, mapper, settle point and redactor apply unchanged. Pure: a state machine over
 * validated notifications.
 */

/** `codexErrorInfo` facts carried on `error` / `turn.failed` events for the classifier (snake_case, like the wire). */
export interface ErrorInfoFields {
  /** Variant of `codexErrorInfo`, e.g. `usageLimitExceeded`, `httpConnectionFailed`, or ours: `turnInterrupted`. */
  error_kind?: string;
  /** `httpStatusCode` of the variant, when it carries one. */
  http_status_code?: number;
}

/** The `codexErrorInfo` kind of a turn that ended `interrupted` without our interrupt (an approval `cancel`). */
export const TURN_INTERRUPTED_KIND = "turnInterrupted";

type TokenTotals = Pick<
  Usage,
  | "input_tokens"
  | "cached_input_tokens"
  | "cache_write_input_tokens"
  | "output_tokens"
  | "reasoning_output_tokens"
>;

/** Mutable state of one turn's translation. */
export interface TurnTranslation {
  /** The thread the turn runs on. */
  readonly threadId: string;
  /** The turn id, once `turn/start` answered or `turn/started` arrived. */
  turnId?: string;
  /** The thread's cumulative token usage as of the last `thread/tokenUsage/updated`. */
  total?: TokenTotals;
  /** Text of each agent message (and reasoning summary) so far, from the `…/delta` notifications. */
  readonly messageText: Map<string, string>;
  /** The summary part each reasoning item's deltas are in (parts are joined by `\n`, as at completion). */
  readonly summaryIndex: Map<string, number>;
  /** The turn's plan (`turn/plan/updated`) as a `todo_list` item, once announced. */
  plan?: { id: string; items: { text: string; completed: boolean }[] };
  /** How the turn ended, once `turn/completed` arrived. */
  status?: "completed" | "failed" | "interrupted" | "inProgress";
}

/** A fresh translation for a turn on `threadId`; `total` is the thread's usage before the turn, when known. */
export function createTurnTranslation(threadId: string, total?: TokenTotals): TurnTranslation {
  return { threadId, messageText: new Map(), summaryIndex: new Map(), ...(total ? { total } : {}) };
}

const ZERO: TokenTotals = {
  input_tokens: 0,
  cached_input_tokens: 0,
  cache_write_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
};

const NOTHING: readonly ThreadEvent[] = [];

const COMMAND_STATUS = {
  inProgress: "in_progress",
  completed: "completed",
  failed: "failed",
  // The SDK has no `declined`: a declined command did not run, which exec reports as a failed command.
  declined: "failed",
} as const;

function errorFields(info: unknown): ErrorInfoFields {
  const facts = codexErrorInfoFacts(info);
  return {
    ...(facts.kind ? { error_kind: facts.kind } : {}),
    ...(facts.httpStatusCode !== undefined ? { http_status_code: facts.httpStatusCode } : {}),
  };
}

/** The SDK item of an app-server item, for the phase it is in; `undefined` when exec has no such item. */
function toSdkItem(
  item: WireItem,
  phase: "started" | "completed",
): ThreadItem | { id: string; type: string } | undefined {
  switch (item.type) {
    case "userMessage":
      return undefined; // our own prompt, echoed back
    case "agentMessage":
      return phase === "completed" ? { id: item.id, type: "agent_message", text: item.text } : undefined;
    case "reasoning": {
      if (phase !== "completed") return undefined;
      const text = (item.summary.length > 0 ? item.summary : item.content).join("\n");
      return text ? { id: item.id, type: "reasoning", text } : undefined;
    }
    case "commandExecution":
      return {
        id: item.id,
        type: "command_execution",
        command: item.command,
        aggregated_output: item.aggregatedOutput ?? "",
        ...(item.exitCode === null ? {} : { exit_code: item.exitCode }),
        status: phase === "started" ? "in_progress" : COMMAND_STATUS[item.status],
      };
    case "fileChange":
      // The SDK's file_change has no in-progress status: announced at completion (the mapper adds its tool_use).
      if (phase !== "completed") return undefined;
      return {
        id: item.id,
        type: "file_change",
        changes: item.changes.map((change) => ({ path: change.path, kind: change.kind.type })),
        status: item.status === "completed" ? "completed" : "failed",
      };
    case "mcpToolCall":
      return {
        id: item.id,
        type: "mcp_tool_call",
        server: item.server,
        tool: item.tool,
        arguments: item.arguments,
        ...(item.result
          ? {
              result: {
                content: item.result.content as never[],
                structured_content: item.result.structuredContent,
              },
            }
          : {}),
        ...(item.error ? { error: { message: item.error.message } } : {}),
        status:
          phase === "started" ? "in_progress" : item.status === "inProgress" ? "in_progress" : item.status,
      };
    case "webSearch":
      return { id: item.id, type: "web_search", query: item.query };
    case "plan":
      // Plan-mode text has no exec item; the mapper reports it as an unknown item.
      return { id: item.id, type: "plan" };
    case "other":
      return { id: item.id, type: item.itemType };
    default:
      return item satisfies never;
  }
}

function planEvent(translation: TurnTranslation, type: "item.started" | "item.updated" | "item.completed") {
  const plan = translation.plan as NonNullable<TurnTranslation["plan"]>;
  return { type, item: { id: plan.id, type: "todo_list", items: plan.items.map((entry) => ({ ...entry })) } };
}

/**
 * Maps one validated notification of the turn to SDK thread events. Notifications of another turn of the thread
 * (a late one after an interrupt), and any before the turn id is known, map to nothing. `turn/completed` sets `status`: the stream ends after its events.
 */
export function translateNotification(
  notification: WireNotification,
  translation: TurnTranslation,
): readonly ThreadEvent[] {
  const { params } = notification;
  if (params.threadId !== translation.threadId || translation.status !== undefined) return NOTHING;
  const turnId =
    notification.method === "turn/started" || notification.method === "turn/completed"
      ? notification.params.turn.id
      : notification.params.turnId;
  if (notification.method === "turn/started") {
    translation.turnId ??= turnId;
    return turnId === translation.turnId ? [{ type: "turn.started" }] : NOTHING;
  }
  // Before the turn is known (its `turn/start` answer or `turn/started`), anything is a late message of an earlier
  // turn of the thread, e.g. the item of a command that finished after an interrupt: never part of this turn.
  if (turnId !== translation.turnId) return NOTHING;
  switch (notification.method) {
    case "item/started":
    case "item/completed": {
      const phase = notification.method === "item/started" ? "started" : "completed";
      const item = toSdkItem(notification.params.item, phase);
      if (item === undefined) return NOTHING;
      if (phase === "completed") {
        translation.messageText.delete(item.id);
        translation.summaryIndex.delete(item.id);
      }
      return [{ type: phase === "started" ? "item.started" : "item.completed", item } as ThreadEvent];
    }
    case "item/agentMessage/delta": {
      const { itemId, delta } = notification.params;
      if (delta === "") return NOTHING;
      const text = (translation.messageText.get(itemId) ?? "") + delta;
      translation.messageText.set(itemId, text);
      // The SDK shape for "this message so far": the mapper emits the new text only with `partialMessages`.
      return [{ type: "item.updated", item: { id: itemId, type: "agent_message", text } }];
    }
    case "item/reasoning/summaryTextDelta": {
      const { itemId, delta, summaryIndex } = notification.params;
      if (delta === "") return NOTHING;
      const before = translation.messageText.get(itemId);
      const part = translation.summaryIndex.get(itemId) ?? summaryIndex;
      const joint = before !== undefined && summaryIndex !== part ? "\n" : "";
      translation.summaryIndex.set(itemId, summaryIndex);
      const text = (before ?? "") + joint + delta;
      translation.messageText.set(itemId, text);
      return [{ type: "item.updated", item: { id: itemId, type: "reasoning", text } }];
    }
    case "item/commandExecution/outputDelta":
      // The mapper turns any update of a tool item into a `tool_use`: output deltas would change the default stream.
      return NOTHING;
    case "turn/plan/updated": {
      const items = notification.params.plan.map((step) => ({
        text: step.step,
        completed: step.status === "completed",
      }));
      const first = translation.plan === undefined;
      translation.plan = { id: `plan-${turnId}`, items };
      return [planEvent(translation, first ? "item.started" : "item.updated") as ThreadEvent];
    }
    case "thread/tokenUsage/updated": {
      const total = notification.params.tokenUsage.total;
      translation.total = {
        input_tokens: total.inputTokens,
        cached_input_tokens: total.cachedInputTokens,
        cache_write_input_tokens: total.cacheWriteInputTokens,
        output_tokens: total.outputTokens,
        reasoning_output_tokens: total.reasoningOutputTokens,
      };
      return NOTHING;
    }
    case "error": {
      const { error, willRetry } = notification.params;
      if (willRetry) {
        // exec prints retries as `Reconnecting... n/m (reason)`: the mapper's retry notice (and fail-fast) rules.
        const message = error.message.startsWith("Reconnecting...")
          ? error.message
          : `Reconnecting... (${error.message})`;
        return [{ type: "error", message }];
      }
      return [{ type: "error", message: error.message, ...errorFields(error.codexErrorInfo) } as ThreadEvent];
    }
    case "turn/completed":
      return completeTurn(notification.params.turn, translation);
    default:
      return notification satisfies never;
  }
}

function completeTurn(
  turn: Extract<WireNotification, { method: "turn/completed" }>["params"]["turn"],
  translation: TurnTranslation,
): readonly ThreadEvent[] {
  translation.status = turn.status;
  const events: ThreadEvent[] = [];
  if (translation.plan) events.push(planEvent(translation, "item.completed") as ThreadEvent);
  switch (turn.status) {
    case "completed":
    case "inProgress":
      // exec reports the thread's cumulative usage on `turn.completed`; so does this transport (see DESIGN.md).
      events.push({ type: "turn.completed", usage: { ...(translation.total ?? ZERO) } });
      return events;
    case "failed": {
      const message = turn.error?.message || "turn failed";
      events.push({
        type: "turn.failed",
        error: { message, ...errorFields(turn.error?.codexErrorInfo) },
      } as ThreadEvent);
      return events;
    }
    case "interrupted":
      // Not our interrupt (ours ends the stream before this arrives): an approval answered `cancel`.
      events.push({
        type: "turn.failed",
        error: {
          message: "Codex turn was interrupted: an approval was answered `cancel`.",
          error_kind: TURN_INTERRUPTED_KIND,
        },
      } as ThreadEvent);
      return events;
    default:
      return turn.status satisfies never;
  }
}
