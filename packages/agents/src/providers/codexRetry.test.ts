import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AgentProvider, ProviderEvent } from "../provider.js";
import { type CodexErrorCode, CodexProviderError } from "./codexError.js";
import type { ProviderRunOptions } from "./codexOptions.js";
import {
  computeRetryDelay,
  parseRetryPolicy,
  type RetryDependencies,
  type RetryPolicy,
  runWithRetry,
} from "./codexRetry.js";

/** One scripted attempt: the events it yields, then how it ends. */
interface Attempt {
  events?: ProviderEvent[];
  error?: unknown;
}

const event = (type: "assistant" | "tool_use", content: string): ProviderEvent =>
  type === "assistant"
    ? { type, content, timestamp: 0, metadata: { itemId: content } }
    : {
        type,
        content,
        timestamp: 0,
        metadata: {
          itemId: content,
          phase: "started",
          itemType: "command_execution",
          command: content,
          status: "in_progress",
          exitCode: null,
          output: "",
          truncated: false,
        },
      };
const result: ProviderEvent = {
  type: "result",
  content: "done",
  timestamp: 0,
  metadata: {
    threadId: "t",
    durationMs: 1,
    usage: {
      inputTokens: 1,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      outputTokens: 1,
      reasoningOutputTokens: 0,
      totalTokens: 2,
    },
    threadUsage: {
      inputTokens: 1,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      outputTokens: 1,
      reasoningOutputTokens: 0,
      totalTokens: 2,
    },
  },
};
const failure = (code: CodexErrorCode, details: Record<string, unknown> = {}, retryable?: boolean) =>
  new CodexProviderError({
    code,
    message: `failed with ${code}`,
    details,
    ...(retryable === undefined ? {} : { retryable }),
  });

/** A provider that plays one scripted attempt per `run` call and records what it was asked. */
function scriptedProvider(attempts: Attempt[]) {
  const calls: ProviderRunOptions[] = [];
  let closed = 0;
  const provider: AgentProvider<ProviderRunOptions> = {
    name: "scripted",
    async *run(_prompt, options) {
      const attempt = attempts[calls.length] ?? { events: [result] };
      calls.push(options);
      try {
        for (const entry of attempt.events ?? []) yield entry;
        if (attempt.error !== undefined) throw attempt.error;
      } finally {
        closed++;
      }
    },
  };
  return { provider, calls, closed: () => closed };
}

/** Deterministic dependencies: a clock that sleeping advances, a fixed random draw. */
function fakeDeps(random = 0.5): RetryDependencies & { slept: number[] } {
  let now = 1_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    random: () => random,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

async function collect(iterable: AsyncIterable<ProviderEvent>) {
  const events: ProviderEvent[] = [];
  try {
    for await (const entry of iterable) events.push(entry);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

const options: ProviderRunOptions = { workingDirectory: "/work" };
const retries = (events: ProviderEvent[]) =>
  events.flatMap((entry) =>
    entry.type === "system" && entry.metadata?.subtype === "retry" ? [entry.metadata] : [],
  );

describe("runWithRetry", () => {
  it("passes a successful run through untouched, with no retry", async () => {
    const { provider, calls } = scriptedProvider([{ events: [event("assistant", "hi"), result] }]);
    const deps = fakeDeps();
    const { events, error } = await collect(runWithRetry(provider, "p", options, {}, deps));
    expect(error).toBeUndefined();
    expect(events.map((entry) => entry.type)).toEqual(["assistant", "result"]);
    expect(calls).toHaveLength(1);
    expect(deps.slept).toEqual([]);
  });

  it("retries a retryable failure after a jittered backoff and announces it; failed attempts' events stay visible", async () => {
    const { provider, calls } = scriptedProvider([
      { events: [event("assistant", "partial")], error: failure("CODEX_TRANSPORT_ERROR") },
      { events: [result] },
    ]);
    const deps = fakeDeps(0.5);
    const { events, error } = await collect(
      runWithRetry(provider, "p", options, { initialDelayMs: 200 }, deps),
    );
    expect(error).toBeUndefined();
    expect(events.map((entry) => entry.type)).toEqual(["assistant", "system", "result"]);
    expect(retries(events)).toEqual([
      { subtype: "retry", attempt: 2, maxAttempts: 3, delayMs: 100, code: "CODEX_TRANSPORT_ERROR" },
    ]);
    expect(events[1]?.content).toContain("CODEX_TRANSPORT_ERROR");
    expect(deps.slept).toEqual([100]);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ["a non-retryable code", failure("CODEX_AUTH_ERROR")],
    ["a retryable code marked not retryable", failure("CODEX_TIMEOUT", {}, false)],
    ["a foreign error", new Error("boom")],
    ["an exhausted quota", failure("CODEX_RATE_LIMITED", { failureCode: "insufficient_quota" })],
  ])("does not retry %s", async (_name, thrown) => {
    const { provider, calls } = scriptedProvider([{ error: thrown }]);
    const { error } = await collect(runWithRetry(provider, "p", options, {}, fakeDeps()));
    expect(error).toBe(thrown);
    expect(calls).toHaveLength(1);
  });

  it("caps attempts and then throws the last error as is", async () => {
    const errors = [1, 2, 3].map(() => failure("CODEX_RATE_LIMITED"));
    const { provider, calls } = scriptedProvider(errors.map((entry) => ({ error: entry })));
    const deps = fakeDeps(0.999);
    const { events, error } = await collect(
      runWithRetry(provider, "p", options, { maxAttempts: 3, initialDelayMs: 100, multiplier: 3 }, deps),
    );
    expect(error).toBe(errors[2]);
    expect(calls).toHaveLength(3);
    expect(retries(events).map((entry) => [entry.attempt, entry.delayMs])).toEqual([
      [2, 99],
      [3, 299],
    ]);
  });

  it("waits at least as long as the error's retry hint", async () => {
    const { provider } = scriptedProvider([{ error: failure("CODEX_RATE_LIMITED", { retryAfterMs: 1500 }) }]);
    const deps = fakeDeps(0);
    const { events } = await collect(runWithRetry(provider, "p", options, { maxDelayMs: 1000 }, deps));
    expect(retries(events)[0]?.delayMs).toBe(1500);
    expect(deps.slept).toEqual([1500]);
  });

  it("does not retry an attempt that started a tool unless retryAfterToolUse is set", async () => {
    const attempts = () => [
      { events: [event("tool_use", "rm -rf build")], error: failure("CODEX_TRANSPORT_ERROR") },
      { events: [result] },
    ];
    const strict = scriptedProvider(attempts());
    const denied = await collect(runWithRetry(strict.provider, "p", options, {}, fakeDeps()));
    expect(CodexProviderError.isInstance(denied.error) && denied.error.code).toBe("CODEX_TRANSPORT_ERROR");
    expect(strict.calls).toHaveLength(1);

    const lenient = scriptedProvider(attempts());
    const allowed = await collect(
      runWithRetry(lenient.provider, "p", options, { retryAfterToolUse: true }, fakeDeps()),
    );
    expect(allowed.error).toBeUndefined();
    expect(allowed.events.map((entry) => entry.type)).toEqual(["tool_use", "system", "result"]);
  });

  it("ends a backoff wait at once when the caller aborts, as a non-retryable cancellation", async () => {
    const controller = new AbortController();
    const { provider, calls } = scriptedProvider([{ error: failure("CODEX_TRANSPORT_ERROR") }]);
    const started = Date.now();
    const pending = collect(
      runWithRetry(
        provider,
        "p",
        { ...options, signal: controller.signal },
        { initialDelayMs: 60_000, maxDelayMs: 60_000 },
        { random: () => 0.99 },
      ),
    );
    setTimeout(() => controller.abort(new Error("user pressed stop")), 20);
    const { events, error } = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(retries(events)).toHaveLength(1);
    expect(calls).toHaveLength(1);
    expect(CodexProviderError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: "CODEX_ABORTED",
      retryable: false,
      details: { classification: "aborted", failureCode: "aborted", lastCode: "CODEX_TRANSPORT_ERROR" },
    });
    expect((error as CodexProviderError).cause).toEqual(new Error("user pressed stop"));
  });

  it("never retries a failure that arrives after the caller aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    // Even a failure marked retryable is the caller's outcome once its signal fired.
    const aborted = failure("CODEX_TIMEOUT", { failureCode: "aborted" });
    const { provider, calls } = scriptedProvider([{ error: aborted }]);
    const { error } = await collect(
      runWithRetry(provider, "p", { ...options, signal: controller.signal }, {}, fakeDeps()),
    );
    expect(error).toBe(aborted);
    expect(calls).toHaveLength(1);
  });

  it("keeps the whole call inside maxElapsedMs: attempts get the remaining budget, no wait overruns it", async () => {
    const deps = fakeDeps(0.99);
    const { provider, calls } = scriptedProvider([
      { error: failure("CODEX_TRANSPORT_ERROR") },
      { error: failure("CODEX_TRANSPORT_ERROR") },
      { error: failure("CODEX_TRANSPORT_ERROR") },
    ]);
    const { events, error } = await collect(
      runWithRetry(
        provider,
        "p",
        { ...options, timeout: 5_000 },
        { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 4_000, maxElapsedMs: 3_000 },
        deps,
      ),
    );
    // 990 + 1980 ms of waits fit in 3000 ms; the third wait (3960 ms) would not, so the third failure ends it.
    expect(calls.map((call) => call.timeout)).toEqual([3_000, 2_010, 30]);
    expect(deps.slept).toEqual([990, 1_980]);
    expect(retries(events)).toHaveLength(2);
    expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_TRANSPORT_ERROR");
  });

  it("leaves a malformed timeout for the provider to reject", async () => {
    const { provider, calls } = scriptedProvider([{ events: [result] }]);
    const bad = { ...options, timeout: "soon" } as unknown as ProviderRunOptions;
    await collect(runWithRetry(provider, "p", bad, {}, fakeDeps()));
    expect(calls[0]?.timeout).toBe("soon");
  });

  it("closes the running attempt when the consumer breaks out", async () => {
    const { provider, closed } = scriptedProvider([{ events: [event("assistant", "a"), result] }]);
    for await (const _ of runWithRetry(provider, "p", options, {}, fakeDeps())) break;
    expect(closed()).toBe(1);
  });

  it("rejects a bad policy with CODEX_INVALID_OPTIONS naming the field, before running", async () => {
    const bad: unknown[] = [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { initialDelayMs: -1 },
      { initialDelayMs: 5_000, maxDelayMs: 1_000 },
      { multiplier: 0.5 },
      { maxElapsedMs: 0 },
      { retryAfterToolUse: "yes" },
      { unknownKey: 1 },
      "fast",
    ];
    for (const policy of bad) {
      const { provider, calls } = scriptedProvider([]);
      const { error } = await collect(
        runWithRetry(provider, "p", options, policy as RetryPolicy, fakeDeps()),
      );
      expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_OPTIONS");
      expect((error as CodexProviderError).message).toMatch(/^Invalid retry policy: /);
      expect((error as CodexProviderError).details.path).toEqual(expect.arrayContaining(["policy"]));
      expect(calls).toHaveLength(0);
    }
    expect(parseRetryPolicy(undefined)).toEqual({
      maxAttempts: 3,
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      multiplier: 2,
      maxElapsedMs: 600_000,
      retryAfterToolUse: false,
    });
  });
});

describe("computeRetryDelay (property)", () => {
  const policyArb = fc
    .record({
      initialDelayMs: fc.integer({ min: 0, max: 100_000 }),
      extra: fc.integer({ min: 0, max: 100_000 }),
      multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
    })
    .map(({ initialDelayMs, extra, multiplier }) => ({
      initialDelayMs,
      maxDelayMs: initialDelayMs + extra,
      multiplier,
    }));

  it("stays in [0, cap) with full jitter, never below a hint, never above max(cap, hint)", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
        (policy, retry, draw, hint) => {
          const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
          const delay = computeRetryDelay(retry, policy, () => draw, hint);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(hint ?? 0);
          expect(delay).toBeLessThanOrEqual(Math.max(cap, hint ?? 0));
          if (hint === undefined && cap >= 1) expect(delay).toBeLessThan(cap);
        },
      ),
    );
  });

  it("grows its cap exponentially until maxDelayMs (a draw near 1 tracks the cap)", () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 };
    const delays = [1, 2, 3, 4, 5, 6].map((retry) => computeRetryDelay(retry, policy, () => 0.9999));
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    expect(computeRetryDelay(3, policy, () => 0)).toBe(0);
    expect(computeRetryDelay(1, policy, () => 0, Number.NaN)).toBe(0);
  });
});

describe("runWithRetry (property)", () => {
  it("runs at most maxAttempts attempts, announces every retry within the backoff bounds, ends with the last outcome", async () => {
    const codes: CodexErrorCode[] = ["CODEX_TRANSPORT_ERROR", "CODEX_RATE_LIMITED", "CODEX_AUTH_ERROR"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.constantFrom(...codes), { nil: undefined }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (outcomes, maxAttempts, draw) => {
          const attempts = outcomes.map((code) => (code ? { error: failure(code) } : { events: [result] }));
          const { provider, calls } = scriptedProvider(attempts);
          const policy = { maxAttempts, initialDelayMs: 100, maxDelayMs: 800 };
          const { events, error } = await collect(
            runWithRetry(provider, "p", options, policy, fakeDeps(draw)),
          );
          expect(calls.length).toBeLessThanOrEqual(maxAttempts);
          const announced = retries(events);
          expect(announced).toHaveLength(calls.length - 1);
          announced.forEach((entry, index) => {
            expect(entry.attempt).toBe(index + 2);
            expect(entry.delayMs).toBeGreaterThanOrEqual(0);
            expect(entry.delayMs).toBeLessThanOrEqual(Math.min(800, 100 * 2 ** index));
          });
          const last = outcomes[calls.length - 1];
          if (last === undefined) expect(events.at(-1)).toBe(result);
          else expect((error as CodexProviderError).code).toBe(last);
          // Only retryable failures are ever followed by another attempt.
          for (const code of outcomes.slice(0, calls.length - 1)) expect(code).not.toBe("CODEX_AUTH_ERROR");
        },
      ),
    );
  });
});
