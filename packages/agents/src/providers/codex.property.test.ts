import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProvider } from "./codex.js";
import { classifyCodexFailure } from "./codexClassify.js";
import {
  CODEX_ERROR_CLASSIFICATION,
  CODEX_ERROR_CODES,
  CodexProviderError,
  retryableByDefault,
} from "./codexError.js";
import { createMapperState, mapThreadEvent } from "./codexMapper.js";
import { settle } from "./codexSettle.js";
import { fakeBoot, fakeClient, lsCommandEvents, record, replay } from "./testing/harness.js";

// Property tier: 10,000 generated inputs per guarantee; each either passes or fails with its documented code.
const RUNS = { numRuns: 10_000 };

const usage = { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 };
const okStream: unknown[] = [
  { type: "thread.started", thread_id: "thr" },
  { type: "turn.started" },
  ...lsCommandEvents("x"),
  { type: "item.completed", item: { id: "m", type: "agent_message", text: "done" } },
  { type: "turn.completed", usage },
];

/** Config-ish values, sometimes cyclic or absurdly deep. */
const configLike = fc.oneof(
  fc.anything(),
  fc.dictionary(fc.string(), fc.anything()),
  fc.nat({ max: 3000 }).map((depth) => {
    const root: Record<string, unknown> = {};
    let node = root;
    for (let level = 0; level < depth; level++) node = node.k = {} as Record<string, unknown>;
    return root;
  }),
  fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue()).map((value) => {
    const cyclic: Record<string, unknown> = { ...value };
    cyclic.self = cyclic;
    return cyclic;
  }),
);

const settingsLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      config: configLike,
      sandboxMode: fc.oneof(fc.constantFrom("read-only", "workspace-write", "yolo"), fc.anything()),
      approvalPolicy: fc.oneof(fc.constantFrom("never", "untrusted"), fc.anything()),
      skipGitRepoCheck: fc.anything(),
      modelReasoningEffort: fc.oneof(fc.constantFrom("low", "max", "ultra", "bogus"), fc.anything()),
      failFastReconnects: fc.anything(),
      maxToolOutputChars: fc.oneof(fc.integer(), fc.double()),
      env: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())), fc.anything()),
      now: fc.oneof(
        fc.constant(() => 1),
        fc.anything(),
      ),
      sanbox: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);

const runOptionsLike = fc.oneof(
  fc.anything(),
  fc.record(
    {
      workingDirectory: fc.oneof(fc.string(), fc.anything()),
      systemPrompt: fc.oneof(fc.string(), fc.anything()),
      context: fc.oneof(fc.array(fc.string()), fc.anything()),
      timeout: fc.oneof(fc.integer(), fc.double(), fc.anything()),
      idleTimeout: fc.oneof(fc.integer(), fc.double()),
      signal: fc.oneof(fc.constant(new AbortController().signal), fc.anything()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);

describe("property: every input is typed before anything spawns", () => {
  it("constructor arguments are accepted or CODEX_INVALID_CONFIG, never another error", () => {
    fc.assert(
      fc.property(settingsLike, (value) => {
        try {
          new CodexProvider(value as never);
        } catch (error) {
          expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_CONFIG");
        }
      }),
      RUNS,
    );
  });

  it("run options are accepted or CODEX_INVALID_OPTIONS with nothing spawned", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.anything()), runOptionsLike, async (prompt, options) => {
        const recorded = record();
        const provider = new CodexProvider({
          env: {},
          bootstrap: async () => fakeBoot("sk-property-key-000000"),
          createClient: fakeClient(replay(okStream), recorded),
          isDirectory: () => true,
        });
        const run = provider.run(prompt as string, options as never);
        try {
          await run.next();
        } catch (error) {
          expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_OPTIONS");
          expect(recorded.started).toBe(0);
        } finally {
          await run.return();
        }
      }),
      RUNS,
    );
  });
});

type Mutation = (events: unknown[]) => unknown[];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.anything()).map(
    ([at, junk]): Mutation =>
      (events) => {
        const copy = [...events];
        copy.splice(at % (copy.length + 1), 0, junk);
        return copy;
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (events) =>
        events.filter((_event, index) => index !== at % events.length),
  ),
  fc.tuple(fc.nat(), fc.string(), fc.anything()).map(
    ([at, key, value]): Mutation =>
      (events) =>
        events.map((event, index) =>
          index === at % events.length && typeof event === "object" && event !== null
            ? { ...(event as object), [key]: value }
            : event,
        ),
  ),
  fc.tuple(fc.nat(), fc.constantFrom("type", "item", "usage", "thread_id"), fc.anything()).map(
    ([at, key, value]): Mutation =>
      (events) =>
        events.map((event, index) =>
          index === at % events.length ? { ...(event as object), [key]: value } : event,
        ),
  ),
  fc.nat().map(
    (at): Mutation =>
      (events) =>
        events.slice(0, at % (events.length + 1)),
  ),
  fc.nat().map(
    (at): Mutation =>
      (events) => [...events, events[at % events.length]],
  ),
);

describe("property: a mutated stream is a valid stream or one contract error", () => {
  it("ends in one result, CODEX_INVALID_EVENT or CODEX_MISSING_RESULT", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const events = mutations.reduce((stream, mutate) => mutate(stream), okStream);
        const state = createMapperState();
        const context = { now: () => 1, startedAt: 0, failFastReconnects: true };
        for (const event of events) mapThreadEvent(event, state, context);
        const outcome = settle({ state, processStarted: true, now: 2 });
        if (CodexProviderError.isInstance(outcome)) {
          expect(["CODEX_INVALID_EVENT", "CODEX_MISSING_RESULT"]).toContain(outcome.code);
        } else {
          expect(outcome.type).toBe("result");
        }
      }),
      RUNS,
    );
  });
});

const FRAGMENTS = [
  "unexpected status 401 Unauthorized",
  "unexpected status 429 Too Many Requests",
  "unexpected status 503 Service Unavailable",
  "Quota exceeded",
  "stream disconnected before completion",
  "idle timeout waiting for SSE",
  "Connection failed: error sending request",
  "Reconnecting... waiting for network",
  "Missing environment variable: `CODEX_API_KEY`",
  '{"error":{"code":"invalid_api_key","message":"bad"}}',
  "Incomplete response returned, reason: max_output_tokens",
  "context window",
  "Codex Exec exited with code 1: ",
  "ECONNRESET",
  "try again in 1.5s",
];

describe("property: every failure text maps to one documented code", () => {
  it("classifies any text to a code of the taxonomy with its documented class and retryability", () => {
    const text = fc.oneof(
      fc.string(),
      fc
        .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string()), { maxLength: 5 })
        .map((parts) => parts.join(" ")),
    );
    fc.assert(
      fc.property(text, fc.boolean(), (message, asThrown) => {
        const facts = asThrown ? { error: new Error(message) } : { message };
        const error = classifyCodexFailure(facts);
        expect(CODEX_ERROR_CODES).toContain(error.code);
        expect(error.code).not.toBe("CODEX_ABORTED");
        expect(error.details.classification).toBe(CODEX_ERROR_CLASSIFICATION[error.code]);
        expect(error.retryable).toBe(retryableByDefault(error.code, error.details));
        expect(error.message.length).toBeGreaterThan(0);
        expect(classifyCodexFailure(facts).code).toBe(error.code);
      }),
      RUNS,
    );
  });
});
