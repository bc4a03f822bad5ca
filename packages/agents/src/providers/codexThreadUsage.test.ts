import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { UsageMetadata } from "../provider.js";
import { threadUsageFromRollout, toUsageMetadata, turnUsage } from "./codexThreadUsage.js";

const raw = (input: number, output: number) => ({
  input_tokens: input,
  cached_input_tokens: input / 10,
  cache_write_input_tokens: 0,
  output_tokens: output,
  reasoning_output_tokens: 2,
  total_tokens: input + output,
});
const tokenCount = (input: number, output: number) =>
  JSON.stringify({
    timestamp: "2026-11-25T14:40:39Z",
    type: "event_msg",
    payload: {
      type: "token_count",
      info: { total_token_usage: raw(input, output), last_token_usage: raw(100, 7) },
    },
  });

describe("threadUsageFromRollout", () => {
  it("takes the last token_count total and skips everything else", () => {
    const jsonl = [
      JSON.stringify({ type: "session_meta", payload: { id: "t" } }),
      tokenCount(100, 7),
      'not json {"token_count"',
      JSON.stringify({ type: "event_msg", payload: { type: "token_count", info: null } }),
      tokenCount(200, 14),
      JSON.stringify({ type: "event_msg", payload: { type: "task_complete" } }),
    ].join("\n");
    expect(threadUsageFromRollout(jsonl)).toEqual(toUsageMetadata(raw(200, 14)));
    expect(threadUsageFromRollout("")).toBeUndefined();
  });
});

describe("turnUsage", () => {
  it("is the measured difference of running totals: 200/14 after 100/7 is 100/7", () => {
    const turn = turnUsage(toUsageMetadata(raw(200, 14)), toUsageMetadata(raw(100, 7)));
    expect(turn).toEqual({
      inputTokens: 100,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 0,
      outputTokens: 7,
      reasoningOutputTokens: 0,
      totalTokens: 107,
    });
    expect(turnUsage(toUsageMetadata(raw(100, 7)), undefined)).toEqual(toUsageMetadata(raw(100, 7)));
  });

  it("adds back up to the thread total and never goes negative (property)", () => {
    const usage = fc
      .record({
        inputTokens: fc.nat(1e9),
        cachedInputTokens: fc.nat(1e9),
        cacheWriteInputTokens: fc.nat(1e9),
        outputTokens: fc.nat(1e9),
        reasoningOutputTokens: fc.nat(1e9),
      })
      .map((entry): UsageMetadata => ({ ...entry, totalTokens: entry.inputTokens + entry.outputTokens }));
    fc.assert(
      fc.property(usage, usage, (before, delta) => {
        const after: UsageMetadata = {
          inputTokens: before.inputTokens + delta.inputTokens,
          cachedInputTokens: before.cachedInputTokens + delta.cachedInputTokens,
          cacheWriteInputTokens: before.cacheWriteInputTokens + delta.cacheWriteInputTokens,
          outputTokens: before.outputTokens + delta.outputTokens,
          reasoningOutputTokens: before.reasoningOutputTokens + delta.reasoningOutputTokens,
          totalTokens: before.totalTokens + delta.totalTokens,
        };
        expect(turnUsage(after, before)).toEqual(delta);
        for (const value of Object.values(turnUsage(before, after))) expect(value).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
