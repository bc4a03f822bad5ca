import { setTimeout as sleepFor } from "node:timers/promises";
import { z } from "zod";
import type { AgentProvider, ProviderEvent, SystemEvent } from "../provider.js";
import { CodexProviderError } from "./codexError.js";
import { MAX_TIMEOUT_MS, type ProviderRunOptions } from "./codexOptions.js";

/** Schema of a retry policy; every field has a default. */
export const retryPolicySchema = z
  .object({
    /** Attempts in all, the first included; 1 disables retries. */
    maxAttempts: z
      .int({ error: "maxAttempts must be an integer" })
      .min(1, "maxAttempts must be at least 1")
      .max(100, "maxAttempts must be at most 100")
      .default(3),
    /** Backoff cap of the first retry in ms; attempt n waits up to `initialDelayMs * multiplier^(n-1)`. */
    initialDelayMs: z
      .number({ error: "initialDelayMs must be a number of milliseconds" })
      .min(0, "initialDelayMs must not be negative")
      .max(MAX_TIMEOUT_MS, `initialDelayMs must be at most ${MAX_TIMEOUT_MS} ms`)
      .default(1000),
    /** Largest backoff cap in ms (a server's retry hint may ask for longer and is honoured). */
    maxDelayMs: z
      .number({ error: "maxDelayMs must be a number of milliseconds" })
      .min(0, "maxDelayMs must not be negative")
      .max(MAX_TIMEOUT_MS, `maxDelayMs must be at most ${MAX_TIMEOUT_MS} ms`)
      .default(30_000),
    /** Growth factor of the backoff cap per retry. */
    multiplier: z
      .number({ error: "multiplier must be a number" })
      .min(1, "multiplier must be at least 1")
      .max(10, "multiplier must be at most 10")
      .default(2),
    /** Budget of the whole call in ms, attempts and waits included; no retry starts that would overrun it. */
    maxElapsedMs: z
      .number({ error: "maxElapsedMs must be a number of milliseconds" })
      .positive("maxElapsedMs must be positive")
      .max(MAX_TIMEOUT_MS, `maxElapsedMs must be at most ${MAX_TIMEOUT_MS} ms`)
      .default(600_000),
    /** Retry even after the failed attempt started a tool (its side effects may then happen twice). */
    retryAfterToolUse: z.boolean({ error: "retryAfterToolUse must be a boolean" }).default(false),
  })
  .strict()
  .refine((policy) => policy.initialDelayMs <= policy.maxDelayMs, {
    message: "initialDelayMs must not exceed maxDelayMs",
    path: ["initialDelayMs"],
  });

/** A retry policy as callers pass it. */
export type RetryPolicy = z.input<typeof retryPolicySchema>;
/** A retry policy after validation and defaults. */
export type ResolvedRetryPolicy = z.output<typeof retryPolicySchema>;

/** Clock, sleep and randomness of `runWithRetry`; injectable for tests. */
export interface RetryDependencies {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Waits `ms`; rejects at once when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1). */
  random: () => number;
}

const realDependencies: RetryDependencies = {
  now: Date.now,
  sleep: (ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}),
  random: Math.random,
};

/** Validates a retry policy; throws `CODEX_INVALID_OPTIONS` naming the field. */
export function parseRetryPolicy(input: unknown): ResolvedRetryPolicy {
  const parsed = retryPolicySchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  throw new CodexProviderError({
    code: "CODEX_INVALID_OPTIONS",
    message: `Invalid retry policy: ${path.length > 0 ? path.join(".") : "policy"}: ${issue?.message ?? "invalid value"}`,
    details: {
      path: ["policy", ...path],
      issues: parsed.error.issues.map((entry) => ({ path: entry.path.map(String), message: entry.message })),
    },
  });
}

/**
 * The wait before retry number `retry` (1 for the first retry): full jitter, a uniform draw in
 * [0, min(maxDelayMs, initialDelayMs * multiplier^(retry-1))), raised to a server's retry hint when it asks for more.
 */
export function computeRetryDelay(
  retry: number,
  policy: Pick<ResolvedRetryPolicy, "initialDelayMs" | "maxDelayMs" | "multiplier">,
  random: () => number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (retry - 1));
  const jittered = Math.floor(Math.min(Math.max(random(), 0), 1) * cap);
  const hint =
    typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs) && retryAfterMs > 0
      ? Math.ceil(retryAfterMs)
      : 0;
  return Math.min(Math.max(jittered, hint), MAX_TIMEOUT_MS);
}

/** The outcome when the caller's signal aborts during a backoff wait: a cancellation, never retryable. */
function abortedDuringBackoff(signal: AbortSignal, last: CodexProviderError): CodexProviderError {
  return new CodexProviderError({
    code: "CODEX_ABORTED",
    message:
      "Codex run was cancelled by the caller while waiting to retry (option `signal`); no attempt is running.",
    details: { failureCode: "aborted", lastCode: last.code },
    cause: signal.reason,
  });
}

/** True when a failed attempt may be run again under the policy. */
function mayRetry(
  error: unknown,
  sawToolUse: boolean,
  policy: ResolvedRetryPolicy,
  signal: AbortSignal | undefined,
): error is CodexProviderError {
  if (!CodexProviderError.isInstance(error) || !error.retryable) return false;
  // A caller's cancellation is its own outcome, whatever code the provider gave it.
  if (signal?.aborted) return false;
  // Retryable by the taxonomy, but an exhausted quota does not come back within a backoff.
  if (error.details.failureCode === "insufficient_quota") return false;
  return policy.retryAfterToolUse || !sawToolUse;
}

/**
 * Runs `provider.run(prompt, options)` and retries failed attempts that are `retryable` (except
 * `failureCode: "insufficient_quota"`, which waiting does not fix), with exponential backoff
 * and full jitter, honouring `details.retryAfterMs`. Each retry is announced by a `system` event
 * (`subtype: "retry"`). Events of a failed attempt have already been yielded when it fails, so consumers see them
 * (and see them again, re-emitted by the next attempt). An attempt that started a tool is not retried unless
 * `retryAfterToolUse` is set. `options.timeout` bounds each attempt; `maxElapsedMs` bounds the whole call. The
 * caller's `options.signal` ends a backoff wait at once. When retries are exhausted the last error is thrown as is.
 */
export async function* runWithRetry(
  provider: AgentProvider<ProviderRunOptions>,
  prompt: string,
  options: ProviderRunOptions,
  policy?: RetryPolicy,
  dependencies: Partial<RetryDependencies> = {},
): AsyncGenerator<ProviderEvent, void, undefined> {
  const deps: RetryDependencies = { ...realDependencies, ...dependencies };
  const resolved = parseRetryPolicy(policy);
  const signal = options?.signal instanceof AbortSignal ? options.signal : undefined;
  const startedAt = deps.now();
  for (let attempt = 1; ; attempt++) {
    const elapsed = deps.now() - startedAt;
    const remaining = Math.max(1, Math.floor(resolved.maxElapsedMs - elapsed));
    // The budget reaches into the attempt: its timeout never outlasts what is left.
    // A timeout that is not a number is left for the provider to reject with its own message.
    const given: unknown = options?.timeout;
    const timeout =
      given === undefined ? remaining : typeof given === "number" ? Math.min(given, remaining) : given;
    let sawToolUse = false;
    try {
      for await (const event of provider.run(prompt, { ...options, timeout } as ProviderRunOptions)) {
        if (event.type === "tool_use") sawToolUse = true;
        yield event;
      }
      return;
    } catch (error) {
      if (!mayRetry(error, sawToolUse, resolved, signal) || attempt >= resolved.maxAttempts) throw error;
      const hint = error.details.retryAfterMs;
      const delayMs = computeRetryDelay(
        attempt,
        resolved,
        deps.random,
        typeof hint === "number" ? hint : undefined,
      );
      if (deps.now() - startedAt + delayMs >= resolved.maxElapsedMs) throw error;
      yield retryEvent(attempt + 1, resolved.maxAttempts, delayMs, error, deps.now());
      try {
        await deps.sleep(delayMs, signal);
      } catch (sleepError) {
        if (signal?.aborted) throw abortedDuringBackoff(signal, error);
        throw sleepError;
      }
      if (signal?.aborted) throw abortedDuringBackoff(signal, error);
    }
  }
}

function retryEvent(
  attempt: number,
  maxAttempts: number,
  delayMs: number,
  error: CodexProviderError,
  timestamp: number,
): SystemEvent {
  return {
    type: "system",
    content: `Retrying after ${error.code} in ${delayMs} ms (attempt ${attempt} of ${maxAttempts}): ${error.message}`,
    timestamp,
    metadata: { subtype: "retry", attempt, maxAttempts, delayMs, code: error.code },
  };
}
