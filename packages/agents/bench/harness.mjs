// Shared plumbing of the end-to-end benches: the real codex binary through the real SDK against the loopback
// emulator, driven either raw (`thread.runStreamed`) or through CodexProvider's public options only.
import { CodexProvider } from "@alphred/agents";
import { Codex } from "@openai/codex-sdk";

/** Model in the 0.163 binary's catalog, as the emulator expects. */
export const MODEL = "gpt-5.5";

/** Thread options equal to CodexProvider's defaults, so both arms ask the binary for the same thing. */
export function threadOptions(workingDirectory) {
  return {
    workingDirectory,
    model: MODEL,
    skipGitRepoCheck: true,
    sandboxMode: "workspace-write",
    approvalPolicy: "never",
  };
}

/** Timings of one turn in ms on the `performance.now()` clock: start, first event, end. */
function timing(startMs) {
  return { startMs, firstEventMs: Number.NaN, endMs: Number.NaN };
}

/** One turn through the bare SDK; `onEvent` sees every raw event. Throws unless it ends in `turn.completed`. */
export async function sdkTurn(codex, run, prompt, { timeoutMs = 60_000, onEvent } = {}) {
  const times = timing(performance.now());
  const thread = codex.startThread(threadOptions(run.workingDirectory));
  const { events } = await thread.runStreamed(prompt, { signal: AbortSignal.timeout(timeoutMs) });
  let last;
  for await (const event of events) {
    if (Number.isNaN(times.firstEventMs)) times.firstEventMs = performance.now();
    onEvent?.(event);
    last = event;
  }
  times.endMs = performance.now();
  if (last?.type !== "turn.completed") throw new Error(`bench: SDK turn ended with ${JSON.stringify(last)}`);
  return times;
}

/** An SDK client for a hermetic run on the default (OPENAI_BASE_URL) path. */
export function sdkClient(run) {
  return new Codex({ baseUrl: run.env.OPENAI_BASE_URL, apiKey: run.env.CODEX_API_KEY, env: run.env });
}

/**
 * One turn through CodexProvider (on thread `resumeThreadId` when given); `onEvent` sees every event. Throws unless
 * it ends in `result`; the timings carry the result's `threadId`.
 */
export async function providerTurn(
  provider,
  run,
  prompt,
  { timeoutMs = 60_000, onEvent, resumeThreadId } = {},
) {
  const times = timing(performance.now());
  let last;
  for await (const event of provider.run(prompt, {
    workingDirectory: run.workingDirectory,
    timeout: timeoutMs,
    ...(resumeThreadId === undefined ? {} : { resumeThreadId }),
  })) {
    if (Number.isNaN(times.firstEventMs)) times.firstEventMs = performance.now();
    onEvent?.(event);
    last = event;
  }
  times.endMs = performance.now();
  if (last?.type !== "result") throw new Error(`bench: provider turn ended with ${JSON.stringify(last)}`);
  times.threadId = last.metadata.threadId;
  return times;
}

/**
 * Wraps the SDK's event stream to see each raw thread event as it reaches the provider. Hand-rolled rather
 * than an async generator so `return()` reaches the SDK's generator directly, as it would unwrapped.
 */
function tap(events, onRawEvent) {
  return {
    async next(...args) {
      const step = await events.next(...args);
      if (!step.done) onRawEvent(step.value);
      return step;
    },
    return: (value) => events.return(value),
    throw: (error) => events.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await events.return(undefined);
    },
  };
}

/** A provider whose real SDK client reports every raw thread event to `onRawEvent` (the public `createClient`). */
export function tappedProvider(options, onRawEvent) {
  return new CodexProvider({
    ...options,
    createClient: (clientOptions) => {
      const codex = new Codex(clientOptions);
      return {
        startThread: (thread) => {
          const inner = codex.startThread(thread);
          return {
            runStreamed: async (input, turnOptions) => {
              const { events } = await inner.runStreamed(input, turnOptions);
              return { events: tap(events, onRawEvent) };
            },
          };
        },
      };
    },
  });
}
