import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  startEmulator,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { expectSuccess, msg, turn } from "./testing/e2e.js";

// End-to-end tier of the second attack round: what only the real binary shows. codex's JSON parser refuses an
// escaped lone surrogate (`\ud800`) and drops the line without an answer, so the app-server transport must never
// send one; exec's argv and stdin carry it as U+FFFD (Node's UTF-8 encoding).

let emulator: Emulator;
let run: HermeticRun;

beforeAll(async () => {
  emulator = await startEmulator({
    script: byMarker({
      message: turn({ items: [msg("Surrogate read.")] }),
      sleep: turn({ items: [{ type: "exec", cmd: "sleep 30" }] }, { items: [msg("slept")] }),
      slow: turn({ items: [msg("late")], delayMs: 3000 }),
    }),
  });
  run = await createHermeticRun({ baseUrl: emulator.baseUrl });
});

afterAll(async () => {
  await emulator?.close();
  await run?.cleanup();
});

describe("lone surrogates reach the model as U+FFFD on both transports", () => {
  for (const transport of ["app-server", "exec"] as const) {
    it(`${transport}: in the prompt and in systemPrompt, the run completes (it hung until its timeout on app-server)`, async () => {
      await using provider = new CodexProvider({
        transport,
        env: run.env,
        config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
      });
      const marker = `lone-${transport}-5810`;
      const started = performance.now();
      const events: ProviderEvent[] = [];
      for await (const event of provider.run(`[[e2e:message]] ${marker} a\uD800b`, {
        workingDirectory: run.workingDirectory,
        systemPrompt: `Be \uDC00 brief ${marker}.`,
        timeout: 15_000,
      })) {
        events.push(event);
      }
      expectSuccess({ events }, "Surrogate read.");
      expect(performance.now() - started).toBeLessThan(10_000);
      const request = emulator.requests.find((entry) => JSON.stringify(entry.body).includes(marker));
      const body = JSON.stringify(request?.body);
      expect(body).toContain(`${marker} a\uFFFDb`);
      expect(body).toContain(`Be \uFFFD brief ${marker}.`);
    }, 30_000);
  }
});

describe("a config codex cannot load", () => {
  for (const transport of ["app-server", "exec"] as const) {
    it(`${transport}: is CODEX_INVALID_CONFIG (app-server said CODEX_INTERNAL_ERROR: refused thread/start)`, async () => {
      await using provider = new CodexProvider({
        transport,
        env: run.env,
        config: {
          ...(customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject),
          notice: "a string where codex expects a table",
        },
      });
      const error = await (async () => {
        for await (const _ of provider.run("[[e2e:message]] config", {
          workingDirectory: run.workingDirectory,
        })) {
          // nothing arrives
        }
      })().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "CODEX_INVALID_CONFIG", retryable: false });
    }, 30_000);
  }
});

describe("app-server: the next turn on a thread right after an aborted one", () => {
  // The aborted turn is interrupted and its terminals cleaned while the next run already asks for the thread:
  // the next turn must still complete on the same thread, and no command of the aborted turn may survive.
  for (const [when, marker, abortAt] of [
    ["at the command's tool_use", "sleep", "tool_use"],
    ["right after it started", "slow", "system"],
  ] as const) {
    it(`aborted ${when}: the resumed turn completes at once`, async () => {
      await using provider = new CodexProvider({
        transport: "app-server",
        env: run.env,
        config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
      });
      const first: ProviderEvent[] = [];
      for await (const event of provider.run("[[e2e:message]] first", {
        workingDirectory: run.workingDirectory,
      }))
        first.push(event);
      const threadOf = (events: ProviderEvent[]) => {
        const last = events.at(-1);
        return last?.type === "result" ? last.metadata?.threadId : undefined;
      };
      const threadId = threadOf(first);
      expect(typeof threadId).toBe("string");
      const controller = new AbortController();
      const aborted = await (async () => {
        for await (const event of provider.run(`[[e2e:${marker}]] go`, {
          workingDirectory: run.workingDirectory,
          resumeThreadId: threadId as string,
          signal: controller.signal,
        })) {
          if (event.type === abortAt) controller.abort();
        }
      })().catch((caught: unknown) => caught);
      expect(aborted).toMatchObject({ code: "CODEX_ABORTED" });
      const started = performance.now();
      const next: ProviderEvent[] = [];
      for await (const event of provider.run("[[e2e:message]] again", {
        workingDirectory: run.workingDirectory,
        resumeThreadId: threadId as string,
        timeout: 15_000,
      })) {
        next.push(event);
      }
      expectSuccess({ events: next }, "Surrogate read.");
      expect(threadOf(next)).toBe(threadId);
      expect(performance.now() - started).toBeLessThan(5000);
    }, 30_000);
  }
});
