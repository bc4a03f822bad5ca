import {
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import { bootstrapCodex, type CodexBootstrapper } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { runWithRetry } from "./codexRetry.js";
import { overrideBootstrap } from "./testing/e2e.js";

// runWithRetry over the real binary: the emulator fails the first POST(s) of a marker, then answers.

const bootstrap: CodexBootstrapper = overrideBootstrap ?? bootstrapCodex;

const answer: Turn = { steps: [{ items: [{ type: "message", text: "answered after a retry" }] }] };
const SCRIPTS: Record<string, Turn[]> = {
  "[[retry:503-then-ok]]": [{ steps: [{ fault: "http", status: 503 }] }, answer],
  "[[retry:401]]": [{ steps: [{ fault: "http", status: 401 }] }, answer],
};

let emulator: Emulator;
beforeAll(async () => {
  const seen = new Map<string, number>();
  emulator = await startEmulator({
    script: (request) => {
      const marker = Object.keys(SCRIPTS).find((key) => request.prompt.includes(key));
      if (!marker) return undefined;
      const count = seen.get(marker) ?? 0;
      seen.set(marker, count + 1);
      const turns = SCRIPTS[marker] as Turn[];
      return turns[Math.min(count, turns.length - 1)];
    },
  });
});
afterAll(() => emulator?.close());

async function retried(marker: string) {
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  const provider = new CodexProvider({
    bootstrap,
    env: run.env,
    config: customProviderConfig(emulator.baseUrl) as CodexConfigObject,
  });
  const events: ProviderEvent[] = [];
  let error: CodexProviderError | undefined;
  try {
    for await (const event of runWithRetry(
      provider,
      `${marker} please`,
      { workingDirectory: run.workingDirectory, timeout: 45_000 },
      { initialDelayMs: 50, maxDelayMs: 100 },
    )) {
      events.push(event);
    }
  } catch (caught) {
    if (!CodexProviderError.isInstance(caught)) throw caught;
    error = caught;
  } finally {
    await run.cleanup();
  }
  const posts = emulator.requests.filter(
    (request) => request.method === "POST" && request.prompt.includes(marker),
  );
  return { events, error, posts };
}

describe.concurrent("runWithRetry + real codex binary + emulator", () => {
  it("retries a 503 and succeeds on the second attempt, announcing the retry", async () => {
    const { events, error, posts } = await retried("[[retry:503-then-ok]]");
    expect(error).toBeUndefined();
    const retry = events.find((event) => event.type === "system" && event.metadata?.subtype === "retry");
    expect(retry?.metadata).toMatchObject({ subtype: "retry", attempt: 2, code: "CODEX_INTERNAL_ERROR" });
    expect(events.at(-1)).toMatchObject({ type: "result", content: "answered after a retry" });
    expect(events.filter((event) => event.type === "result")).toHaveLength(1);
    expect(posts).toHaveLength(2);
  });

  it("does not retry an auth failure", async () => {
    const { events, error, posts } = await retried("[[retry:401]]");
    expect(error?.code).toBe("CODEX_AUTH_ERROR");
    expect(events.some((event) => event.type === "system" && event.metadata?.subtype === "retry")).toBe(
      false,
    );
    expect(posts).toHaveLength(1);
  });
});
