import { z } from "zod";
import type { UsageMetadata } from "../provider.js";

// Phase 2 of issue 9 (per-turn usage), prepared as pure functions. The binary's `turn.completed.usage` is the
// thread's running total (measured on 0.150.1, 0.163.0 and 0.169.0, also across a resume by another process).
// A turn's own tokens are that total minus the total before the turn, which the provider knows from its previous
// turn on the thread or, for a thread resumed from elsewhere, reads from the thread's rollout file
// (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<threadId>.jsonl`, last `token_count` event).

/** Token counts as the binary writes them (`turn.completed.usage`, a rollout's `total_token_usage`). */
export interface WireUsage {
  /** Input tokens. */
  input_tokens: number;
  /** Input tokens served from the prompt cache. */
  cached_input_tokens?: number | undefined;
  /** Input tokens written to the prompt cache. */
  cache_write_input_tokens?: number | undefined;
  /** Output tokens. */
  output_tokens: number;
  /** Output tokens spent on reasoning. */
  reasoning_output_tokens?: number | undefined;
}

const usageSchema = z.object({
  input_tokens: z.number(),
  cached_input_tokens: z.number().default(0),
  cache_write_input_tokens: z.number().default(0),
  output_tokens: z.number(),
  reasoning_output_tokens: z.number().default(0),
}) satisfies z.ZodType<unknown, WireUsage>;

const tokenCountLine = z.object({
  type: z.literal("event_msg"),
  payload: z.object({
    type: z.literal("token_count"),
    info: z.object({ total_token_usage: usageSchema }).nullable(),
  }),
});

/** Converts the binary's snake_case usage to `UsageMetadata`. */
export function toUsageMetadata(usage: WireUsage): UsageMetadata {
  const parsed = usageSchema.parse(usage);
  return {
    inputTokens: parsed.input_tokens,
    cachedInputTokens: parsed.cached_input_tokens,
    cacheWriteInputTokens: parsed.cache_write_input_tokens,
    outputTokens: parsed.output_tokens,
    reasoningOutputTokens: parsed.reasoning_output_tokens,
    totalTokens: parsed.input_tokens + parsed.output_tokens,
  };
}

/** The thread's running total after its last completed model call, from a rollout file's text; `undefined` if none. */
export function threadUsageFromRollout(jsonl: string): UsageMetadata | undefined {
  let last: UsageMetadata | undefined;
  for (const line of jsonl.split("\n")) {
    if (!line.includes('"token_count"')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = tokenCountLine.safeParse(raw);
    const total = parsed.success ? parsed.data.payload.info?.total_token_usage : undefined;
    if (total) last = toUsageMetadata(total);
  }
  return last;
}

/** This turn's tokens: the running total after the turn minus the one before it (never negative). */
export function turnUsage(threadTotal: UsageMetadata, before: UsageMetadata | undefined): UsageMetadata {
  if (!before) return { ...threadTotal };
  const minus = (key: keyof UsageMetadata) => Math.max(0, threadTotal[key] - before[key]);
  const inputTokens = minus("inputTokens");
  const outputTokens = minus("outputTokens");
  return {
    inputTokens,
    cachedInputTokens: minus("cachedInputTokens"),
    cacheWriteInputTokens: minus("cacheWriteInputTokens"),
    outputTokens,
    reasoningOutputTokens: minus("reasoningOutputTokens"),
    totalTokens: inputTokens + outputTokens,
  };
}
