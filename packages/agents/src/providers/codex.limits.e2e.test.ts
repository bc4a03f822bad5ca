import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  type RecordedRequest,
  startEmulator,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import {
  type CodexConfigObject,
  configArgBytes,
  MAX_ARG_BYTES,
  MAX_SYSTEM_PROMPT_CHARS,
} from "./codexOptions.js";
import { expectSuccess, msg, overrideBootstrap, turn } from "./testing/e2e.js";

// End-to-end tier for the per-transport limits: a systemPrompt far over one command-line argument reaches the model
// intact on `app-server` (JSON-RPC on stdin) and is refused up front on `exec` (argv), where the largest one that
// fits the argv limit still spawns. The real binary against the loopback emulator.

let emulator: Emulator;
let run: HermeticRun;
const figures: Record<string, number> = {};

beforeAll(async () => {
  emulator = await startEmulator({
    script: byMarker({ message: turn({ items: [msg("Instructions read.")] }) }),
  });
  run = await createHermeticRun({ baseUrl: emulator.baseUrl });
});

afterAll(async () => {
  await emulator?.close();
  await run?.cleanup();
  console.log(`[limits e2e] figures (ms): ${JSON.stringify(figures)}`);
});

function provider(transport: "exec" | "app-server"): CodexProvider {
  const options: CodexProviderOptions = {
    transport,
    env: run.env,
    config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
  };
  return new CodexProvider(
    transport === "exec" && overrideBootstrap ? { ...options, bootstrap: overrideBootstrap } : options,
  );
}

/** A systemPrompt of `chars` UTF-16 units with quotes, backslashes, newlines and multi-byte characters throughout. */
function instructions(marker: string, chars: number): string {
  const unit = 'Rule "é" \\ 東京 😀\n\t';
  const body = unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars - marker.length - 2);
  return `${marker}\n${body.replace(/[\uD800-\uDBFF]$/, "x")}.`;
}

/** The text of the developer messages of the one recorded request that carries `marker`. */
function developerText(marker: string): string {
  const requests = emulator.requests.filter((request) => JSON.stringify(request.body).includes(marker));
  expect(requests).toHaveLength(1);
  const { input } = requests[0] as RecordedRequest;
  return input
    .filter((item) => (item as { role?: unknown }).role === "developer")
    .flatMap((item) => (item as { content: { text?: string }[] }).content.map((part) => part.text ?? ""))
    .join("\n");
}

async function collectRun(
  on: CodexProvider,
  marker: string,
  systemPrompt: string,
): Promise<{ events: ProviderEvent[]; error?: CodexProviderError; ms: number }> {
  const started = performance.now();
  const events: ProviderEvent[] = [];
  try {
    for await (const event of on.run(`[[e2e:message]] ${marker}`, {
      workingDirectory: run.workingDirectory,
      systemPrompt,
      timeout: 45_000,
    })) {
      events.push(event);
    }
  } catch (caught) {
    if (!CodexProviderError.isInstance(caught)) throw caught;
    return { events, error: caught, ms: performance.now() - started };
  }
  return { events, ms: performance.now() - started };
}

describe("systemPrompt limits per transport", () => {
  it("app-server: a 1 MiB systemPrompt reaches the model request intact, on a new thread and on a spare", async () => {
    await using on = provider("app-server");
    const large = instructions("big-sp-4471", MAX_SYSTEM_PROMPT_CHARS);
    expect(large).toHaveLength(MAX_SYSTEM_PROMPT_CHARS);
    expect(configArgBytes("developer_instructions", large)).toBeGreaterThan(8 * MAX_ARG_BYTES);
    // Warm the process first, then time a small and a large turn on it.
    expectSuccess(await collectRun(on, "warm-sp-4470", "Be brief."), "Instructions read.");
    const small = await collectRun(on, "small-sp-4472", "Be brief, small-sp-4472.");
    expectSuccess(small, "Instructions read.");
    const big = await collectRun(on, "big-sp-4471", large);
    expectSuccess(big, "Instructions read.");
    expect(developerText("big-sp-4471")).toContain(large);
    figures.appServerSmallSystemPrompt = Math.round(small.ms);
    figures.appServerOneMegabyteSystemPrompt = Math.round(big.ms);
    // A new thread with the same parameters takes a spare started (keyed by them) at the quiet moment after the turn.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await collectRun(on, "again-sp-4473", large);
    expectSuccess(again, "Instructions read.");
    expect(developerText("again-sp-4473")).toContain(large);
    figures.appServerOneMegabyteSystemPromptOnSpare = Math.round(again.ms);
  });

  it("app-server: one character over MAX_SYSTEM_PROMPT_CHARS is CODEX_INVALID_OPTIONS before anything runs", async () => {
    await using on = provider("app-server");
    const over = await collectRun(
      on,
      "over-sp-4474",
      instructions("over-sp-4474", MAX_SYSTEM_PROMPT_CHARS + 1),
    );
    expect(over.error).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      retryable: false,
      details: { path: ["systemPrompt"] },
    });
    expect(over.error?.message).toContain(`at most ${MAX_SYSTEM_PROMPT_CHARS} characters`);
    expect(over.events).toEqual([]);
  });

  it("exec: the same systemPrompt is CODEX_INVALID_OPTIONS up front, naming the app-server transport", async () => {
    const on = provider("exec");
    const marker = "exec-sp-4475";
    const result = await collectRun(on, marker, instructions(marker, MAX_SYSTEM_PROMPT_CHARS));
    expect(result.error).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      retryable: false,
      details: { path: ["systemPrompt"] },
    });
    expect(result.error?.message).toContain(`${MAX_ARG_BYTES}-byte command-line argument`);
    expect(result.error?.message).toContain('transport "app-server" accepts');
    expect(result.events).toEqual([]);
    expect(emulator.requests.some((request) => JSON.stringify(request.body).includes(marker))).toBe(false);
  });

  it("exec: a systemPrompt whose argument is exactly MAX_ARG_BYTES still spawns and arrives intact", async () => {
    const on = provider("exec");
    const marker = "edge-sp-4476";
    // A multi-byte, quote-heavy prompt padded to the exact byte budget: "é" is 2 bytes, "a" 1, neither escaped.
    const base = instructions(marker, 60_000);
    const missing = MAX_ARG_BYTES - configArgBytes("developer_instructions", base);
    const text = `${base}${"é".repeat(Math.floor(missing / 2))}${"a".repeat(missing % 2)}`;
    expect(configArgBytes("developer_instructions", text)).toBe(MAX_ARG_BYTES);
    const fits = await collectRun(on, marker, text);
    expectSuccess(fits, "Instructions read.");
    expect(developerText(marker)).toContain(text);
    figures.execSystemPromptAtArgvLimit = Math.round(fits.ms);
    const over = await collectRun(on, "edge-sp-4477", `${text}a`);
    expect(over.error).toMatchObject({ code: "CODEX_INVALID_OPTIONS", details: { path: ["systemPrompt"] } });
  });
});
