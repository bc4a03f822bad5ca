import { readdir, readFile } from "node:fs/promises";
import {
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProvider, ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject, ProviderRunOptions } from "./codexOptions.js";
import { runWithRetry } from "./codexRetry.js";
import { msg, overrideBootstrap, turn } from "./testing/e2e.js";
import { codexProcessesUsing } from "./testing/harness.js";

// A codex process killed from outside the provider (the OOM killer's SIGKILL, a shutdown's SIGTERM) in the middle
// of a turn: the real binary, the real SDK and the loopback emulator; the test plays the killer. The run fails with
// a typed, retryable CODEX_TRANSPORT_ERROR on both transports, and runWithRetry's second attempt succeeds.

const SLEEP = "sleep 43.217"; // unique: found in the process table
const ANSWER = "answered after the kill";
/** The first request of each marker: a turn that is still running when the test kills codex. */
const FIRST: Record<string, Turn> = {
  // The model's answer starts, then stalls: codex waits on the stream, no tool has run.
  slow: turn({ items: [msg("never delivered")], delayMs: 60_000 }),
  // The agent runs a long command: codex waits on its child.
  sleep: turn({ items: [{ type: "exec", cmd: SLEEP }] }, { items: [msg("slept")] }),
};

let emulator: Emulator;
const figures: Record<string, number> = {};

beforeAll(async () => {
  const seen = new Map<string, number>();
  emulator = await startEmulator({
    script: (request) => {
      const marker = /\[\[killed:(\w+):[\w-]+:\w+\]\]/.exec(request.prompt);
      if (!marker) return undefined;
      const count = seen.get(marker[0]) ?? 0;
      seen.set(marker[0], count + 1);
      return count === 0 ? FIRST[marker[1] as string] : turn({ items: [msg(ANSWER)] });
    },
  });
});

afterAll(async () => {
  await emulator?.close();
  console.log(`[killed e2e] figures (ms): ${JSON.stringify(figures)}`);
});

/** Polls `check` every 25 ms until it holds or `withinMs` passed. */
async function eventually(check: () => Promise<boolean>, withinMs = 10_000): Promise<boolean> {
  const until = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function commandAlive(command: string): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "latin1").catch(() => "");
    if (cmdline.replaceAll("\0", " ").includes(command)) return true;
  }
  return false;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Failure {
  error: unknown;
  at: number;
}

/** The provider as `runWithRetry` sees it, recording what each failed attempt threw and when. */
function observed(provider: CodexProvider, failures: Failure[]): AgentProvider<ProviderRunOptions> {
  async function* recording(run: AsyncIterable<ProviderEvent>): AsyncGenerator<ProviderEvent> {
    try {
      yield* run;
    } catch (error) {
      failures.push({ error, at: performance.now() });
      throw error;
    }
  }
  return { name: provider.name, run: (prompt, options) => recording(provider.run(prompt, options)) };
}

type Transport = "exec" | "app-server";

interface KillCase {
  transport: Transport;
  signal: NodeJS.Signals;
  /** Which first turn runs, and the event after which the test kills codex. */
  turn: keyof typeof FIRST;
}

/** Runs one marker through `runWithRetry` and kills the codex process of the first attempt mid-turn. */
async function killMidTurn({ transport, signal, turn: name }: KillCase) {
  const marker = `[[killed:${name}:${transport}:${signal}]]`;
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  const provider = new CodexProvider({
    ...(overrideBootstrap ? { bootstrap: overrideBootstrap } : {}),
    ...(transport === "app-server" ? { transport } : {}),
    env: run.env,
    config: customProviderConfig(emulator.baseUrl) as CodexConfigObject,
  });
  const command = transport === "exec" ? "--experimental-json" : "app-server";
  const failures: Failure[] = [];
  const events: ProviderEvent[] = [];
  let error: unknown;
  let victim: number | undefined;
  let killedAt = 0;
  // The killer runs beside the consumer: a transport may only make progress while the consumer reads.
  let killer: Promise<void> | undefined;
  const kill = async (): Promise<void> => {
    // Mid-turn for sure: the model request is in flight, or the command runs.
    const inFlight = (): Promise<boolean> =>
      name === "slow"
        ? Promise.resolve(emulator.requests.some((r) => r.method === "POST" && r.prompt.includes(marker)))
        : commandAlive(SLEEP);
    expect(await eventually(inFlight)).toBe(true);
    const pids = await codexProcessesUsing(run.codexHome, process.platform, 1, command);
    expect(pids).toHaveLength(1);
    victim = pids[0] as number;
    killedAt = performance.now();
    process.kill(victim, signal);
  };
  try {
    for await (const event of runWithRetry(
      observed(provider, failures),
      `${marker} please`,
      { workingDirectory: run.workingDirectory, timeout: 45_000 },
      // A kill after a tool started is retried only when the caller accepts that the tool runs twice.
      { initialDelayMs: 50, maxDelayMs: 100, retryAfterToolUse: name === "sleep" },
    )) {
      events.push(event);
      const midTurn =
        name === "slow"
          ? event.type === "system" && event.metadata?.subtype === "thread_started"
          : event.type === "tool_use";
      if (midTurn) killer ??= kill();
    }
  } catch (caught) {
    error = caught;
  } finally {
    await provider.close();
  }
  const leftover = await codexProcessesUsing(run.codexHome);
  try {
    await killer; // rethrows what went wrong finding or killing the process
  } finally {
    await run.cleanup();
  }
  const posts = emulator.requests.filter((r) => r.method === "POST" && r.prompt.includes(marker));
  return { events, error, failures, victim, killedAt, leftover, posts };
}

const killedByExec = (signal: NodeJS.Signals) => ({ failureCode: "process_killed", signal });
const CASES: (KillCase & { details: Record<string, unknown> })[] = [
  { transport: "exec", signal: "SIGKILL", turn: "slow", details: killedByExec("SIGKILL") },
  { transport: "exec", signal: "SIGTERM", turn: "slow", details: killedByExec("SIGTERM") },
  { transport: "exec", signal: "SIGKILL", turn: "sleep", details: killedByExec("SIGKILL") },
  {
    transport: "app-server",
    signal: "SIGKILL",
    turn: "slow",
    details: { failureCode: "app_server_exited", signal: "SIGKILL" },
  },
  // The app-server shuts down gracefully on SIGTERM: it exits with code 0 in the middle of the turn.
  {
    transport: "app-server",
    signal: "SIGTERM",
    turn: "slow",
    details: { failureCode: "app_server_exited", exitCode: 0 },
  },
];

describe.concurrent("a codex process killed from outside the provider mid-turn", () => {
  it.each(CASES)(
    "$transport, $signal during the $turn turn → retryable CODEX_TRANSPORT_ERROR ($details.failureCode), the retry succeeds",
    async (killCase) => {
      const { events, error, failures, victim, killedAt, leftover, posts } = await killMidTurn(killCase);
      expect(victim).toBeDefined();
      expect(error).toBeUndefined();

      // The killed attempt failed with one typed, retryable error that names the signal.
      expect(failures).toHaveLength(1);
      const [failure] = failures as [Failure];
      expect(CodexProviderError.isInstance(failure.error)).toBe(true);
      const typed = failure.error as CodexProviderError;
      expect(typed.toJSON()).toMatchObject({
        code: "CODEX_TRANSPORT_ERROR",
        retryable: true,
        details: { classification: "transport", ...killCase.details },
      });
      if (killCase.transport === "exec") {
        expect(typed.message).toContain(`killed by ${killCase.signal} from outside the provider`);
        expect(typed.message).toMatch(/memory/);
      }
      const killToErrorMs = failure.at - killedAt;
      figures[`${killCase.transport}:${killCase.signal}:${killCase.turn}:killToTypedError`] =
        Math.round(killToErrorMs);
      expect(killToErrorMs).toBeGreaterThanOrEqual(0);
      expect(killToErrorMs).toBeLessThan(5000);

      // runWithRetry announced the retry, and the second attempt answered.
      const retries = events.filter(
        (event) => event.type === "system" && event.metadata?.subtype === "retry",
      );
      expect(retries.map((event) => event.metadata)).toEqual([
        expect.objectContaining({ attempt: 2, code: "CODEX_TRANSPORT_ERROR" }),
      ]);
      expect(events.filter((event) => event.type === "result")).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: "result", content: ANSWER });
      expect(posts.length).toBeGreaterThanOrEqual(2);

      // Nothing is left behind: not the killed process, not its command, no other codex of this CODEX_HOME.
      expect(isAlive(victim as number)).toBe(false);
      expect(leftover).toEqual([]);
      if (killCase.turn === "sleep")
        expect(await eventually(async () => !(await commandAlive(SLEEP)))).toBe(true);
    },
  );
});
