import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ThreadEvent } from "@openai/codex-sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ResultEvent, UsageMetadata } from "../provider.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import type { CodexBootstrapper } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import { probeReadableFile, readThreadRollout } from "./codexIo.js";
import { createMapperState, mapThreadEvent } from "./codexMapper.js";
import {
  collect,
  fakeBoot,
  fakeClient,
  messageTurn,
  type Recorded,
  rawUsage,
  record,
  replay,
  type Script,
} from "./testing/harness.js";

// Issue 9 session features wired into the provider, through the shared typed fake client.

const KEY = "sk-sessions-test-key-abcdef123456";
const THREAD = "019a0000-0000-7000-8000-000000000001";
const boot = fakeBoot(KEY);

const stream = (text: string, usage = rawUsage(100, 10, 7, 2), threadId = THREAD): ThreadEvent[] =>
  messageTurn(text, usage, threadId);
/** A rollout line as codex 0.163 writes it after a model call. */
const tokenCount = (input: number, cached: number, output: number, reasoning: number) =>
  JSON.stringify({
    timestamp: "2026-11-25T00:00:00.000Z",
    type: "event_msg",
    payload: {
      type: "token_count",
      info: {
        total_token_usage: { ...rawUsage(input, cached, output, reasoning), total_tokens: input + output },
      },
    },
  });

function provider(script: Script, recorded: Recorded = record(), extra: Partial<CodexProviderOptions> = {}) {
  const bootstrap: CodexBootstrapper = async () => boot;
  return new CodexProvider({
    env: { CODEX_API_KEY: KEY, CODEX_MODEL: "env-model" },
    bootstrap,
    createClient: fakeClient(script, recorded),
    isDirectory: () => true,
    probeFile: () => undefined,
    readThreadRollout: async () => undefined,
    ...extra,
  });
}

const resultOf = (events: readonly { type: string }[]) => events.at(-1) as ResultEvent;

describe("resumeThreadId", () => {
  it("resumes the thread, reports this turn's usage and the thread's totals", async () => {
    const recorded = record();
    const seen: string[] = [];
    const codex = provider(replay(stream("again", rawUsage(300, 30, 21, 6))), recorded, {
      readThreadRollout: async (codexHome, threadId) => {
        seen.push(`${codexHome}:${threadId}`);
        return [tokenCount(100, 10, 7, 2), "not json", tokenCount(200, 20, 14, 4), ""].join("\n");
      },
    });
    const { events, error } = await collect(
      codex.run("continue", { workingDirectory: "/repo", resumeThreadId: THREAD }),
    );
    expect(error).toBeUndefined();
    expect(seen).toEqual([`/tmp/ch:${THREAD}`]);
    expect(recorded.resumedThreadId).toBe(THREAD);
    expect(events[0]?.metadata).toEqual({ subtype: "thread_started", threadId: THREAD });
    const turn: UsageMetadata = {
      inputTokens: 100,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 0,
      outputTokens: 7,
      reasoningOutputTokens: 2,
      totalTokens: 107,
    };
    expect(events.find((event) => event.type === "usage")?.metadata).toEqual(turn);
    expect(resultOf(events).metadata).toMatchObject({
      threadId: THREAD,
      usage: turn,
      threadUsage: { inputTokens: 300, outputTokens: 21, totalTokens: 321 },
    });
  });

  it("fails up front with CODEX_INVALID_OPTIONS when CODEX_HOME holds no such thread; nothing spawns", async () => {
    const recorded = record();
    const { error } = await collect(
      provider(replay(stream("x")), recorded).run("p", { workingDirectory: "/r", resumeThreadId: "nope-1" }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.message).toBe(
      "Invalid run options: resumeThreadId: no thread nope-1 in /tmp/ch/sessions; resume needs the CODEX_HOME the thread ran with",
    );
    expect(error?.details.path).toEqual(["resumeThreadId"]);
    expect(recorded.started).toBe(0);
  });

  it.each([["../etc/passwd"], [""], [42]])("rejects the malformed thread id %j", async (resumeThreadId) => {
    const { error } = await collect(
      provider(replay(stream("x"))).run("p", { workingDirectory: "/r", resumeThreadId } as never),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["resumeThreadId"]);
  });

  it("a new thread's turn usage equals its totals (nothing before it)", async () => {
    const recorded = record();
    const { events } = await collect(
      provider(replay(stream("hi")), recorded).run("p", { workingDirectory: "/r" }),
    );
    const metadata = resultOf(events).metadata;
    expect(metadata?.usage).toEqual(metadata?.threadUsage);
    expect(recorded.resumedThreadId).toBeUndefined();
  });
});

describe("outputSchema", () => {
  const Answer = z.object({ answer: z.number(), unit: z.string().nullable() });

  it("sends the strict JSON schema and returns the parsed value as structuredOutput", async () => {
    const recorded = record();
    const { events, error } = await collect(
      provider(replay(stream('{"answer":42,"unit":null}')), recorded).run("p", {
        workingDirectory: "/r",
        outputSchema: Answer,
      }),
    );
    expect(error).toBeUndefined();
    expect(recorded.outputSchema).toEqual({
      type: "object",
      properties: { answer: { type: "number" }, unit: { type: ["string", "null"] } },
      required: ["answer", "unit"],
      additionalProperties: false,
    });
    expect(resultOf(events).metadata?.structuredOutput).toEqual({ answer: 42, unit: null });
  });

  it("accepts a plain JSON schema and returns the validated value", async () => {
    const schema = {
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
      additionalProperties: false,
    };
    const recorded = record();
    const { events } = await collect(
      provider(replay(stream('{"ok":true}')), recorded).run("p", {
        workingDirectory: "/r",
        outputSchema: schema,
      }),
    );
    expect(recorded.outputSchema).toEqual(schema);
    expect(resultOf(events).metadata?.structuredOutput).toEqual({ ok: true });
  });

  it("validates the answer against a plain JSON schema too; a schema zod cannot read is refused up front", async () => {
    const schema = {
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
      additionalProperties: false,
    };
    const wrong = await collect(
      provider(replay(stream('{"ok":"yes"}'))).run("p", { workingDirectory: "/r", outputSchema: schema }),
    );
    expect(wrong.error?.code).toBe("CODEX_INVALID_OUTPUT");
    expect(wrong.error?.details.issues).toEqual([{ path: ["ok"], message: expect.any(String) }]);
    const recorded = record();
    const unreadable = await collect(
      provider(replay(stream("{}")), recorded).run("p", {
        workingDirectory: "/r",
        outputSchema: { ...schema, properties: { ok: { $ref: "#/nope" } } },
      }),
    );
    expect(unreadable.error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(unreadable.error?.message).toBe("Invalid run options: outputSchema: Reference not found: #/nope");
    expect(recorded.started).toBe(0);
  });

  it("fails with CODEX_INVALID_OUTPUT (not retryable) when the answer is not JSON", async () => {
    const { events, error } = await collect(
      provider(replay(stream("forty-two"))).run("p", { workingDirectory: "/r", outputSchema: Answer }),
    );
    expect(events.map((event) => event.type)).toEqual(["system", "assistant", "usage"]);
    expect(error).toMatchObject({
      code: "CODEX_INVALID_OUTPUT",
      retryable: false,
      message: "Codex's final message is not JSON, so it cannot match option `outputSchema`.",
      details: { classification: "config", reason: "not_json", output: "forty-two", threadId: THREAD },
    });
  });

  it("fails with CODEX_INVALID_OUTPUT carrying the zod issues when the answer does not validate", async () => {
    const { error } = await collect(
      provider(replay(stream('{"answer":"many","unit":null}'))).run("p", {
        workingDirectory: "/r",
        outputSchema: Answer,
      }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OUTPUT");
    expect(error?.message).toMatch(/^Codex's final message does not match option `outputSchema` at answer: /);
    expect(error?.details.issues).toEqual([{ path: ["answer"], message: expect.any(String) }]);
  });

  it("rejects a schema strict mode cannot take before spawning", async () => {
    const recorded = record();
    const { error } = await collect(
      provider(replay(stream("{}")), recorded).run("p", {
        workingDirectory: "/r",
        outputSchema: z.object({ maybe: z.string().optional() }),
      }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["outputSchema"]);
    expect(recorded.started).toBe(0);
  });
});

describe("images", () => {
  it("attaches each image as local_image after the text, resolved to an absolute path", async () => {
    const recorded = record();
    await collect(
      provider(replay(stream("seen")), recorded).run("describe", {
        workingDirectory: "/r",
        images: ["/shots/a.png", "b.png"],
      }),
    );
    expect(recorded.input).toEqual([
      { type: "text", text: "describe" },
      { type: "local_image", path: "/shots/a.png" },
      { type: "local_image", path: `${process.cwd()}/b.png` },
    ]);
  });

  it("rejects a missing or unreadable image with CODEX_INVALID_OPTIONS before spawning", async () => {
    const recorded = record();
    const { error } = await collect(
      provider(replay(stream("x")), recorded, {
        probeFile: (file) => (file.endsWith("gone.png") ? "does not exist" : undefined),
      }).run("p", { workingDirectory: "/r", images: ["/ok.png", "/gone.png"] }),
    );
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.message).toBe("Invalid run options: images.1: /gone.png does not exist");
    expect(error?.details).toMatchObject({ path: ["images", "1"], problem: "does not exist" });
    expect(recorded.started).toBe(0);
  });
});

describe("settings and per-run MCP servers", () => {
  it("passes model (over CODEX_MODEL) and the permission settings to the thread", async () => {
    const recorded = record();
    await collect(
      provider(replay(stream("ok")), recorded, {
        model: "gpt-5.5-mini",
        sandboxMode: "read-only",
        approvalPolicy: "on-failure",
        networkAccessEnabled: false,
        webSearchMode: "disabled",
        additionalDirectories: ["/data"],
        modelReasoningEffort: "high",
      }).run("p", { workingDirectory: "/r" }),
    );
    expect(recorded.threadOptions).toEqual({
      model: "gpt-5.5-mini",
      workingDirectory: "/r",
      sandboxMode: "read-only",
      approvalPolicy: "on-failure",
      skipGitRepoCheck: true,
      modelReasoningEffort: "high",
      networkAccessEnabled: false,
      webSearchMode: "disabled",
      additionalDirectories: ["/data"],
    });
  });

  it("refuses approvalPolicy untrusted at construction on exec, naming the allowed values", () => {
    expect(() => provider(replay([]), record(), { approvalPolicy: "untrusted" })).toThrowError(
      'approvalPolicy must be one of "never", "on-request", "on-failure" with transport "exec"',
    );
  });

  it("maps mcpServers into this run's config, secrets into the child env only, redacted and kept from the shell", async () => {
    const recorded = record();
    const token = "mcp-bearer-token-0123456789";
    const stdioSecret = "stdio-secret-value-987654";
    const leaky: ThreadEvent[] = [...stream("done")];
    leaky.splice(2, 0, {
      type: "item.completed",
      item: { id: "m0", type: "agent_message", text: `header was Bearer ${token} and ${stdioSecret}` },
    });
    const codex = provider(replay(leaky), recorded, { config: { mcp_servers: { keep: { command: "k" } } } });
    const { events } = await collect(
      codex.run("p", {
        workingDirectory: "/r",
        mcpServers: {
          docs: { url: "http://127.0.0.1:9/mcp", bearerToken: token },
          files: { command: "node", args: ["srv.mjs"], env: { FILES_TOKEN: stdioSecret } },
        },
      }),
    );
    const config = recorded.clientOptions?.config as Record<string, Record<string, unknown>>;
    expect(config.mcp_servers).toEqual({
      keep: { command: "k" },
      docs: {
        url: "http://127.0.0.1:9/mcp",
        bearer_token_env_var: "ALPHRED_MCP_DOCS_TOKEN",
        default_tools_approval_mode: "approve",
      },
      files: {
        command: "node",
        args: ["srv.mjs"],
        env_vars: ["FILES_TOKEN"],
        default_tools_approval_mode: "approve",
      },
    });
    expect(JSON.stringify(config)).not.toContain(token);
    expect(JSON.stringify(config)).not.toContain(stdioSecret);
    expect(recorded.clientOptions?.env).toMatchObject({
      ALPHRED_MCP_DOCS_TOKEN: token,
      FILES_TOKEN: stdioSecret,
    });
    expect(config.shell_environment_policy?.exclude).toEqual(
      expect.arrayContaining(["CODEX_API_KEY", "ALPHRED_MCP_DOCS_TOKEN", "FILES_TOKEN"]),
    );
    const text = JSON.stringify(events);
    expect(text).not.toContain(token);
    expect(text).not.toContain(stdioSecret);
    expect(text).toContain("[REDACTED]");
  });
});

describe("per-turn usage (property)", () => {
  const counts = fc.record({
    input: fc.nat(1_000_000),
    cached: fc.nat(1_000_000),
    output: fc.nat(1_000_000),
    reasoning: fc.nat(1_000_000),
  });
  const toMeta = (c: {
    input: number;
    cached: number;
    output: number;
    reasoning: number;
  }): UsageMetadata => ({
    inputTokens: c.input,
    cachedInputTokens: c.cached,
    cacheWriteInputTokens: 0,
    outputTokens: c.output,
    reasoningOutputTokens: c.reasoning,
    totalTokens: c.input + c.output,
  });

  it("turn usage plus the total before equals the thread total; usage event and result agree", () => {
    fc.assert(
      fc.property(counts, counts, (before, added) => {
        const after = {
          input: before.input + added.input,
          cached: before.cached + added.cached,
          output: before.output + added.output,
          reasoning: before.reasoning + added.reasoning,
        };
        const state = createMapperState();
        const context = {
          now: () => 1,
          startedAt: 0,
          failFastReconnects: true,
          threadUsageBefore: toMeta(before),
        };
        const [usageEvent] = mapThreadEvent(
          {
            type: "turn.completed",
            usage: rawUsage(after.input, after.cached, after.output, after.reasoning),
          },
          state,
          context,
        );
        const metadata = state.pendingResult?.metadata;
        expect(metadata?.threadUsage).toEqual(toMeta(after));
        expect(metadata?.usage).toEqual(toMeta(added));
        expect(usageEvent?.metadata).toEqual(metadata?.usage);
      }),
    );
  });

  it("never reports negative tokens, even when the stored total is ahead of codex's", () => {
    fc.assert(
      fc.property(counts, counts, (before, after) => {
        const state = createMapperState();
        mapThreadEvent(
          {
            type: "turn.completed",
            usage: rawUsage(after.input, after.cached, after.output, after.reasoning),
          },
          state,
          { now: () => 1, startedAt: 0, failFastReconnects: true, threadUsageBefore: toMeta(before) },
        );
        const usage = state.pendingResult?.metadata?.usage as UsageMetadata;
        for (const value of Object.values(usage)) expect(value).toBeGreaterThanOrEqual(0);
        expect(usage.totalTokens).toBe(usage.inputTokens + usage.outputTokens);
      }),
    );
  });
});

describe("structured output (property)", () => {
  const field = fc.constantFrom<[string, z.ZodType, fc.Arbitrary<unknown>]>(
    ["number", z.number(), fc.double({ noNaN: true, noDefaultInfinity: true })],
    ["string", z.string(), fc.string()],
    ["boolean", z.boolean(), fc.boolean()],
    ["nullable", z.string().nullable(), fc.option(fc.string(), { nil: null })],
    ["list", z.array(z.number().int()), fc.array(fc.integer())],
  );
  const shapes = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), field), {
    minLength: 1,
    maxLength: 5,
    selector: ([name]) => name,
  });

  it("any zod object of supported fields converts to a strict schema, and a valid answer comes back parsed", async () => {
    await fc.assert(
      fc.asyncProperty(
        shapes.chain((entries) =>
          fc.tuple(fc.constant(entries), fc.tuple(...entries.map(([, [, , arbitrary]]) => arbitrary))),
        ),
        async ([entries, values]) => {
          const schema = z.object(Object.fromEntries(entries.map(([name, [, zod]]) => [name, zod])));
          const value = Object.fromEntries(entries.map(([name], index) => [name, values[index]]));
          const recorded = record();
          const { events, error } = await collect(
            provider(replay(stream(JSON.stringify(value))), recorded).run("p", {
              workingDirectory: "/r",
              outputSchema: schema,
            }),
          );
          expect(error).toBeUndefined();
          const sent = recorded.outputSchema as { required: string[]; additionalProperties: boolean };
          expect(sent.additionalProperties).toBe(false);
          expect([...sent.required].sort()).toEqual(entries.map(([name]) => name).sort());
          expect(resultOf(events).metadata?.structuredOutput).toEqual(JSON.parse(JSON.stringify(value)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("an answer of the wrong type is CODEX_INVALID_OUTPUT with an issue at that field", async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z]{1,8}$/), fc.string(), async (name, wrong) => {
        const { error } = await collect(
          provider(replay(stream(JSON.stringify({ [name]: wrong })))).run("p", {
            workingDirectory: "/r",
            outputSchema: z.object({ [name]: z.number() }),
          }),
        );
        expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_OUTPUT");
        expect(error?.details.issues).toEqual([{ path: [name], message: expect.any(String) }]);
      }),
      { numRuns: 30 },
    );
  });
});

describe("the file probes in codexIo", () => {
  it("probeReadableFile names what is wrong; readThreadRollout finds a thread by id in sessions/YYYY/MM/DD", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "alphred-sessions-io-"));
    try {
      const day = path.join(home, "sessions", "2026", "11", "25");
      await mkdir(day, { recursive: true });
      const file = path.join(day, `rollout-2026-11-25T10-00-00-${THREAD}.jsonl`);
      await writeFile(file, `${tokenCount(1, 0, 1, 0)}\n`);
      expect(probeReadableFile(file)).toBeUndefined();
      expect(probeReadableFile(day)).toBe("is not a file");
      expect(probeReadableFile(path.join(home, "missing.png"))).toBe("does not exist");
      expect(probeReadableFile(path.join(file, "below-a-file.png"))).toBe("does not exist");
      expect(await readThreadRollout(home, THREAD)).toBe(`${tokenCount(1, 0, 1, 0)}\n`);
      expect(await readThreadRollout(home, "019a0000-0000-7000-8000-00000000ffff")).toBeUndefined();
      expect(await readThreadRollout(path.join(home, "nothing"), THREAD)).toBeUndefined();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
