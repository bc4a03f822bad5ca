import { readdirSync, readFileSync } from "node:fs";
import type { ThreadEvent } from "@openai/codex-sdk";
import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import type { CodexBootstrapper } from "./codexBootstrap.js";
import type { CodexProviderError } from "./codexError.js";
import { collect, fakeClient, replay as replayEvents } from "./testing/harness.js";

// Streams recorded from the real codex binary (`pnpm record-fixtures`), replayed through CodexProvider with a
// typed fake SDK client that yields the recorded events and then throws the SDK's recorded error, if any.

const FIXTURES = new URL("./fixtures/", import.meta.url);

function load(name: string): { events: ThreadEvent[]; sdkError?: string } {
  const lines = readFileSync(new URL(`${name}.jsonl`, FIXTURES), "utf8")
    .split("\n")
    .filter(Boolean);
  const parsed = lines.map((line) => JSON.parse(line) as ThreadEvent | { __sdkError: string });
  const last = parsed.at(-1);
  if (last && "__sdkError" in last)
    return { events: parsed.slice(0, -1) as ThreadEvent[], sdkError: last.__sdkError };
  return { events: parsed as ThreadEvent[] };
}

async function replay(name: string): Promise<{ events: ProviderEvent[]; error?: CodexProviderError }> {
  const { events: recorded, sdkError } = load(name);
  const bootstrap: CodexBootstrapper = async () => ({
    authMode: "api_key",
    apiKey: "sk-emulator-test-key-0000000000",
    model: "gpt-5.5",
    codexHome: "/tmp/codex-home",
    codexPath: "/bin/codex",
    childEnv: {},
  });
  const provider = new CodexProvider({
    env: {},
    bootstrap,
    isDirectory: () => true,
    createClient: fakeClient(
      replayEvents(recorded, sdkError === undefined ? undefined : new Error(sdkError)),
    ),
  });
  return collect(provider.run("replay", { workingDirectory: "/tmp/work" }));
}
/** One line per event: type plus the metadata that matters. */
function summarize(events: ProviderEvent[]): string[] {
  return events.map((event) => {
    const meta = event.metadata;
    if (!meta) return event.type;
    if ("subtype" in meta) return `${event.type}:${meta.subtype}`;
    if ("itemType" in meta) {
      const extra = meta.itemType === "command_execution" ? ` exit=${meta.exitCode}` : "";
      const status = "status" in meta ? ` ${meta.status}` : "";
      return `${event.type}:${meta.itemType}:${meta.phase}${status}${extra}`;
    }
    return `${event.type}: ${event.content.slice(0, 60)}`;
  });
}

function failure(error?: CodexProviderError) {
  if (!error) return undefined;
  const { code, retryable } = error;
  const { classification, statusCode, failureCode, exitCode } = error.details;
  return { code, retryable, classification, statusCode, failureCode, exitCode };
}

/** What each recorded stream must become; checked by hand against the raw JSONL when a fixture is re-recorded. */
const EXPECTED: Record<
  string,
  { events: string[]; error?: Partial<NonNullable<ReturnType<typeof failure>>> }
> = {
  "apply-patch-add-file": {
    events: [
      "system:thread_started",
      "tool_use:file_change:started in_progress",
      "tool_result:file_change:completed completed",
      "assistant: Added hello.txt.",
      "usage: tokens: 240 in (40 cached), 60 out (20 reasoning)",
      "result: Added hello.txt.",
    ],
  },
  "context-length-exceeded": {
    events: ["system:thread_started"],
    error: {
      code: "CODEX_INTERNAL_ERROR",
      retryable: false,
      classification: "internal",
      failureCode: "context_length_exceeded",
    },
  },
  eof: {
    events: [
      "system:thread_started",
      "assistant: Partial answer before the end.",
      "system:reconnecting",
      "assistant: Partial answer before the end.",
      "system:reconnecting",
      "assistant: Partial answer before the end.",
      "system:reconnecting",
      "assistant: Partial answer before the end.",
      "system:reconnecting",
      "assistant: Partial answer before the end.",
      "system:reconnecting",
      "assistant: Partial answer before the end.",
    ],
    error: { code: "CODEX_TRANSPORT_ERROR", retryable: true, classification: "transport" },
  },
  "exec-exit-0": {
    events: [
      "system:thread_started",
      "tool_use:command_execution:started in_progress exit=null",
      "tool_result:command_execution:completed completed exit=0",
      "assistant: The command printed hello.",
      "usage: tokens: 240 in (40 cached), 60 out (20 reasoning)",
      "result: The command printed hello.",
    ],
  },
  "exec-exit-3": {
    events: [
      "system:thread_started",
      "tool_use:command_execution:started in_progress exit=null",
      "tool_result:command_execution:completed failed exit=3",
      "assistant: It failed.",
      "usage: tokens: 240 in (40 cached), 60 out (20 reasoning)",
      "result: It failed.",
    ],
  },
  "http-401": {
    events: [
      "system:thread_started",
      // Fail fast: the first retry notice already says 401, so the provider stops codex there.
      "system:reconnecting",
    ],
    error: { code: "CODEX_AUTH_ERROR", retryable: false, classification: "auth", statusCode: 401 },
  },
  "http-429": {
    events: ["system:thread_started"],
    error: { code: "CODEX_RATE_LIMITED", retryable: true, classification: "rate_limit", statusCode: 429 },
  },
  "http-500": {
    events: [
      "system:thread_started",
      "system:reconnecting",
      "system:reconnecting",
      "system:reconnecting",
      "system:reconnecting",
      "system:reconnecting",
    ],
    error: {
      code: "CODEX_INTERNAL_ERROR",
      retryable: true,
      classification: "internal",
      failureCode: "server_overloaded",
    },
  },
  "idle-timeout": {
    events: ["system:thread_started"],
    error: { code: "CODEX_TIMEOUT", retryable: true, classification: "timeout", failureCode: "idle_timeout" },
  },
  message: {
    events: [
      "system:thread_started",
      "assistant: Hello from the Codex emulator.",
      "usage: tokens: 120 in (20 cached), 30 out (10 reasoning)",
      "result: Hello from the Codex emulator.",
    ],
  },
  reasoning: {
    events: [
      "system:thread_started",
      "system:reasoning",
      "assistant: Done thinking.",
      "usage: tokens: 120 in (20 cached), 30 out (10 reasoning)",
      "result: Done thinking.",
    ],
  },
  reconnecting: {
    events: [
      "system:thread_started",
      "system:reconnecting",
      "system:reconnecting",
      "system:reconnecting",
      "system:reconnecting",
      "system:warning",
      "assistant: Recovered after falling back.",
      "usage: tokens: 120 in (20 cached), 30 out (10 reasoning)",
      "result: Recovered after falling back.",
    ],
  },
  reset: {
    events: [
      "system:thread_started",
      "assistant: Partial answer before the reset.",
      "system:reconnecting",
      "assistant: Partial answer before the reset.",
      "system:reconnecting",
      "assistant: Partial answer before the reset.",
      "system:reconnecting",
      "assistant: Partial answer before the reset.",
      "system:reconnecting",
      "assistant: Partial answer before the reset.",
      "system:reconnecting",
      "assistant: Partial answer before the reset.",
    ],
    error: { code: "CODEX_TRANSPORT_ERROR", retryable: true, classification: "transport" },
  },
  "two-messages": {
    events: [
      "system:thread_started",
      "assistant: First message.",
      "assistant: Second message.",
      "usage: tokens: 120 in (20 cached), 30 out (10 reasoning)",
      "result: Second message.",
    ],
  },
  "update-plan": {
    events: [
      "system:thread_started",
      "tool_use:todo_list:started",
      "tool_use:todo_list:updated",
      "assistant: Plan finished.",
      "tool_result:todo_list:completed",
      "usage: tokens: 360 in (60 cached), 90 out (30 reasoning)",
      "result: Plan finished.",
    ],
  },
  "web-search": {
    events: [
      "system:thread_started",
      "tool_use:web_search:started",
      "tool_result:web_search:completed",
      "assistant: Searched the web.",
      "usage: tokens: 120 in (20 cached), 30 out (10 reasoning)",
      "result: Searched the web.",
    ],
  },
};

describe("recorded real-binary streams through CodexProvider", () => {
  it("has an expectation for every recorded fixture", () => {
    const names = readdirSync(FIXTURES)
      .filter((file) => file.endsWith(".jsonl"))
      .map((file) => file.replace(/\.jsonl$/, ""));
    expect(names.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("%s", async (name, expected) => {
    const { events, error } = await replay(name);
    expect(summarize(events)).toEqual(expected.events);
    if (expected.error === undefined) expect(error).toBeUndefined();
    else {
      expect(failure(error)).toMatchObject(expected.error);
      // Every failure of a started process says how it ended: codex's exit code, or the provider's kill signal.
      expect(error?.details.exitCode ?? error?.details.signal).toBeDefined();
      expect(error?.details.stderr).toEqual(expect.any(String));
    }
    expect(events.filter((event) => event.type === "result")).toHaveLength(error ? 0 : 1);
  });
});
