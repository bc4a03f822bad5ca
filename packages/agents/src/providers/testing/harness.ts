import type { CodexOptions, Input, ThreadEvent, ThreadOptions, TurnOptions } from "@openai/codex-sdk";
import type { ProviderEvent } from "../../provider.js";
import type { CodexBootstrap } from "../codexBootstrap.js";
import { CodexProviderError } from "../codexError.js";
import type { CodexClientFactory, CodexTurnStream } from "../codexIo.js";

/** The one shared test harness: a typed fake SDK client, stream scripts, and a live-process scan. */

/** What a fake client saw. */
export interface Recorded {
  clientOptions?: CodexOptions;
  threadOptions?: ThreadOptions;
  /** The thread id passed to `resumeThread`; undefined when the run started a new thread. */
  resumedThreadId?: string;
  input?: Input;
  /** The turn's `outputSchema` (the strict JSON schema the SDK hands codex). */
  outputSchema?: unknown;
  signal?: AbortSignal;
  /** How many turns were started (0 means nothing was spawned). */
  started: number;
  /** True once the stream's `finally` ran. */
  returned: boolean;
}

/** A fresh record. */
export const record = (): Recorded => ({ started: 0, returned: false });

/** Produces raw SDK events for one turn; gets the turn's abort signal like the SDK's child does. */
export type Script = (signal: AbortSignal) => AsyncGenerator<unknown>;

/** A typed fake of the SDK client that replays a script through the seam `CodexProvider` offers. */
export function fakeClient(script: Script, recorded: Recorded = record()): CodexClientFactory {
  return (clientOptions) => {
    recorded.clientOptions = clientOptions;
    const thread = (threadOptions: ThreadOptions | undefined) => {
      recorded.threadOptions = threadOptions;
      return {
        runStreamed: async (input: Input, turnOptions?: TurnOptions): Promise<CodexTurnStream> => {
          recorded.started++;
          recorded.input = input;
          recorded.signal = turnOptions?.signal;
          recorded.outputSchema = turnOptions?.outputSchema;
          const inner = script(turnOptions?.signal ?? new AbortController().signal);
          async function* events(): AsyncGenerator<ThreadEvent> {
            try {
              for (let next = await inner.next(); !next.done; next = await inner.next()) {
                yield next.value as ThreadEvent;
              }
            } finally {
              recorded.returned = true;
            }
          }
          return { events: events() };
        },
      };
    };
    return {
      startThread: thread,
      resumeThread: (id, threadOptions) => {
        recorded.resumedThreadId = id;
        return thread(threadOptions);
      },
    };
  };
}

const abortError = () => new DOMException("The operation was aborted", "AbortError");

/** Rejects once the signal aborts (as the SDK's stream does when its child is killed). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(abortError());
    signal.addEventListener("abort", () => reject(abortError()), { once: true });
  });
}

/** Replays events, then optionally throws `end` (the SDK's exit error); stops at an abort like the SDK. */
export function replay(events: readonly unknown[], end?: unknown): Script {
  return async function* (signal) {
    for (const event of events) {
      if (signal.aborted) throw abortError();
      yield event;
    }
    if (end !== undefined) throw end;
  };
}

/** Replays events, then stays silent until aborted (a codex waiting on a dead server). */
export function replayThenHang(events: readonly unknown[]): Script {
  return async function* (signal) {
    for (const event of events) yield event;
    await untilAborted(signal);
  };
}

/** A bootstrap result pointing at nothing real. */
export const fakeBoot = (apiKey: string): CodexBootstrap => ({
  authMode: "api_key",
  apiKey,
  apiKeySource: "CODEX_API_KEY",
  model: "gpt-5.5",
  baseUrl: "http://127.0.0.1:1/v1",
  codexHome: "/tmp/ch",
  codexPath: "/bin/codex",
  childEnv: { PATH: "/usr/bin", CODEX_HOME: "/tmp/ch" },
});

/** Drains a run: its events and the one typed error it failed with (anything else is rethrown). */
export async function collect(
  iterable: AsyncIterable<ProviderEvent>,
): Promise<{ events: ProviderEvent[]; error?: CodexProviderError }> {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of iterable) events.push(event);
    return { events };
  } catch (error) {
    if (!CodexProviderError.isInstance(error)) throw error;
    return { events, error };
  }
}

/** The CodexProviderError `run` throws; anything else is rethrown, and not throwing fails the test. */
export function thrownCodexError(run: () => unknown): CodexProviderError {
  try {
    run();
  } catch (error) {
    if (CodexProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a CodexProviderError");
}

/** A raw SDK `turn.completed` usage (with `cache_write_input_tokens: 0`). */
export const rawUsage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  cache_write_input_tokens: 0,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
});

/** A raw SDK turn that answers `text`: thread.started, turn.started, one agent message, turn.completed. */
export const messageTurn = (
  text: string,
  usage: ReturnType<typeof rawUsage>,
  threadId: string,
): ThreadEvent[] => [
  { type: "thread.started", thread_id: threadId },
  { type: "turn.started" },
  { type: "item.completed", item: { id: "m1", type: "agent_message", text } },
  { type: "turn.completed", usage },
];

/** The raw started and completed events of a command `c` running `ls` that prints `output` and exits 0. */
export const lsCommandEvents = (output: string): unknown[] => [
  {
    type: "item.started",
    item: {
      id: "c",
      type: "command_execution",
      command: "ls",
      aggregated_output: "",
      exit_code: null,
      status: "in_progress",
    },
  },
  {
    type: "item.completed",
    item: {
      id: "c",
      type: "command_execution",
      command: "ls",
      aggregated_output: output,
      exit_code: 0,
      status: "completed",
    },
  },
];

/** The `type` of each event. */
export const types = (events: readonly ProviderEvent[]): string[] => events.map((event) => event.type);

/** Live codex processes by CODEX_HOME (plain JS so the `pnpm faults` runner shares this one copy). */
export { codexProcessesUsing } from "./processScan.mjs";

/** Proxy handler traps {@link throwingProxy} can arm. */
export type ThrowingTrap = "get" | "getPrototypeOf" | "ownKeys" | "getOwnPropertyDescriptor" | "has";

/** A hostile value for attack tests: an empty object whose given Proxy traps throw `Error("trap boom")`. */
export function throwingProxy(traps: readonly ThrowingTrap[]): object {
  const boom = (): never => {
    throw new Error("trap boom");
  };
  return new Proxy({}, Object.fromEntries(traps.map((trap) => [trap, boom])));
}
