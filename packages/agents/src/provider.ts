import type { CodexErrorCode } from "./providers/codexError.js";
import type { ProviderRunOptions } from "./providers/codexOptions.js";

/** The normalized event types every provider emits. */
export type ProviderEventType = "system" | "assistant" | "tool_use" | "tool_result" | "usage" | "result";

/** Fields shared by every normalized event. */
export interface ProviderEventBase<TType extends ProviderEventType, TMetadata> {
  /** Which kind of event this is. */
  type: TType;
  /** Human-readable text of the event (message text, command, output, summary). */
  content: string;
  /** Milliseconds since the epoch when the adapter emitted the event. */
  timestamp: number;
  /** Typed, per-type detail. Always present on events from `CodexProvider`. */
  metadata?: TMetadata;
}

/** Metadata of a `system` event: what kind of runtime notice it is. */
export type SystemEventMetadata =
  /** The first event of a run: the Codex thread id (use it to correlate logs or resume). */
  | { subtype: "thread_started"; threadId: string }
  /** The model's reasoning summary; with `partial: true` only the new piece of a summary still being written. */
  | { subtype: "reasoning"; itemId: string; partial?: true }
  /** A non-fatal warning the binary surfaced as an error item. */
  | { subtype: "warning"; itemId: string }
  /** A retry in progress (`Reconnecting... 2/5 (reason)`); the run may still succeed. */
  | { subtype: "reconnecting"; attempt?: number; maxAttempts?: number; reason?: string }
  /** An item type the binary emitted that this adapter does not model (kept, never fatal). */
  | { subtype: "unknown_item"; itemId: string; itemType: string; phase: ToolPhase }
  /** `runWithRetry` is about to run attempt `attempt` after `delayMs`, because the previous one failed with `code`. */
  | { subtype: "retry"; attempt: number; maxAttempts: number; delayMs: number; code: CodexErrorCode };

/** Where a tool item is in its life: first seen, changed, or finished. */
export type ToolPhase = "started" | "updated" | "completed";

/** One file touched by a patch. */
export interface FileChange {
  /** Absolute path of the file. */
  path: string;
  /** Whether the file was added, updated or deleted. */
  kind: "add" | "update" | "delete";
}

/** One entry of the agent's to-do list. */
export interface TodoEntry {
  /** The step's text. */
  text: string;
  /** Whether the step is done. */
  completed: boolean;
}

/** Per-tool detail carried by `tool_use` and `tool_result` events, discriminated by `itemType`. */
export type ToolItemDetails =
  | {
      /** A shell command run by the agent. */
      itemType: "command_execution";
      /** The full command line. */
      command: string;
      /** `in_progress`, `completed` or `failed`. */
      status: string;
      /** Exit code once finished; `null` while running. */
      exitCode: number | null;
      /** Combined stdout and stderr so far (head and tail only when `maxToolOutputChars` cut it). */
      output: string;
      /** True when codex itself cut the output at its 1 MiB cap (codex adds no marker). */
      truncated: boolean;
    }
  | {
      /** A patch applied by the agent. */
      itemType: "file_change";
      /** `completed` or `failed`. */
      status: string;
      /** Files the patch touched. */
      changes: FileChange[];
    }
  | {
      /** A call to an MCP server's tool. */
      itemType: "mcp_tool_call";
      /** `in_progress`, `completed` or `failed`. */
      status: string;
      /** MCP server name. */
      server: string;
      /** Tool name on that server. */
      tool: string;
      /** Arguments sent to the tool. */
      arguments: unknown;
      /** The tool's result payload, when it succeeded. */
      result?: unknown;
      /** The tool's error message, when it failed. */
      error?: string;
    }
  | {
      /** A web search. */
      itemType: "web_search";
      /** The search query. */
      query: string;
    }
  | {
      /** The agent's plan. */
      itemType: "todo_list";
      /** The plan's entries. */
      items: TodoEntry[];
    };

/** Metadata of `tool_use` and `tool_result` events. */
export type ToolEventMetadata = ToolItemDetails & {
  /** The item id; `tool_use` and `tool_result` of one tool call share it. */
  itemId: string;
  /** Which lifecycle event of the item produced this event. */
  phase: ToolPhase;
};

/** Token counts of a turn. */
export interface UsageMetadata {
  /** Input tokens, cached ones included. */
  inputTokens: number;
  /** Input tokens served from the prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache. */
  cacheWriteInputTokens: number;
  /** Output tokens, reasoning included. */
  outputTokens: number;
  /** Output tokens spent on reasoning. */
  reasoningOutputTokens: number;
  /** Input plus output tokens. */
  totalTokens: number;
}

/** Metadata of the terminal `result` event. */
export interface ResultMetadata {
  /** The Codex thread id, when the binary reported one; pass it as `resumeThreadId` to continue the thread. */
  threadId: string | null;
  /** Token counts of this turn alone (the thread's total after the turn minus its total before). */
  usage: UsageMetadata;
  /** Token totals of the whole thread after this turn (equal to `usage` on a new thread). */
  threadUsage: UsageMetadata;
  /** The final message parsed and validated against `outputSchema`; present only when the run gave one. */
  structuredOutput?: unknown;
  /** Milliseconds from the start of `run` to the result. */
  durationMs: number;
}

/** A runtime notice: thread start, reasoning, warnings, retries, unmodelled items. */
export type SystemEvent = ProviderEventBase<"system", SystemEventMetadata>;
/** A message from the agent; with `partial: true`, only the new piece of a message still being written. */
export type AssistantEvent = ProviderEventBase<"assistant", { itemId: string; partial?: true }>;
/** A tool call started (or changed). */
export type ToolUseEvent = ProviderEventBase<"tool_use", ToolEventMetadata>;
/** A tool call finished. */
export type ToolResultEvent = ProviderEventBase<"tool_result", ToolEventMetadata>;
/** Token usage of this turn (not the thread's running total), emitted just before `result`. */
export type UsageEvent = ProviderEventBase<"usage", UsageMetadata>;
/** The single terminal event of a successful run; `content` is the final agent message. */
export type ResultEvent = ProviderEventBase<"result", ResultMetadata>;

/** A provider-neutral event, discriminated on `type`. */
export type ProviderEvent =
  | SystemEvent
  | AssistantEvent
  | ToolUseEvent
  | ToolResultEvent
  | UsageEvent
  | ResultEvent;

/** What an agent runtime needs from a model provider. */
export interface AgentProvider<TOptions = ProviderRunOptions> {
  /** A stable provider name, e.g. `codex`. */
  readonly name: string;
  /** Runs one turn; the iterable ends after the single `result` event or throws a typed error. */
  run(prompt: string, options: TOptions): AsyncIterable<ProviderEvent>;
}
