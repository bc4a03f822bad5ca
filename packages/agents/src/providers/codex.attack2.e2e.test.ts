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
    script: byMarker({ message: turn({ items: [msg("Surrogate read.")] }) }),
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
