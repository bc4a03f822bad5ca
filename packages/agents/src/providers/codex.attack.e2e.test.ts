import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  startEmulator,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CodexProvider } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { msg, turn } from "./testing/e2e.js";
import { codexProcessesUsing, throwingProxy } from "./testing/harness.js";

// Adversarial end-to-end cases on both transports, with the real binary against the loopback emulator: a
// consumer's return() racing the first next(), and a caller abort whose reason is a Proxy that throws on every
// trap. Each settles (typed error or done) and leaves no codex process of the run's CODEX_HOME alive.

const SLEEP = "sleep 43.219"; // unique in the process table
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    script: byMarker({
      "[[attack:sleep]]": turn({ items: [{ type: "exec", cmd: SLEEP }] }, { items: [msg("slept")] }),
    }),
  });
});
afterAll(async () => {
  await emulator?.close();
});

const hostileReason = () => throwingProxy(["get", "getPrototypeOf", "ownKeys", "getOwnPropertyDescriptor"]);

for (const transport of ["exec", "app-server"] as const) {
  describe(`attack e2e (${transport})`, () => {
    let run: HermeticRun;
    let provider: CodexProvider;
    beforeAll(async () => {
      run = await createHermeticRun({ baseUrl: emulator.baseUrl });
      provider = new CodexProvider({
        transport,
        env: run.env,
        config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
      });
    });
    afterAll(async () => {
      await provider?.close();
      await run?.cleanup();
    });

    it("return() racing the first next() settles and leaves no process", async () => {
      const iterator = provider.run("[[attack:sleep]] go", { workingDirectory: run.workingDirectory });
      const first = iterator.next();
      const closed = iterator.return();
      const [firstOutcome, closedOutcome] = await Promise.allSettled([first, closed]);
      expect(closedOutcome).toEqual({ status: "fulfilled", value: { done: true, value: undefined } });
      if (firstOutcome.status === "rejected")
        expect(CodexProviderError.isInstance(firstOutcome.reason)).toBe(true);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      await provider.close();
      expect(await codexProcessesUsing(run.codexHome)).toEqual([]);
    });

    it("an abort mid-turn whose reason is a hostile Proxy fails CODEX_ABORTED and leaves no process", async () => {
      const own = new CodexProvider({
        transport,
        env: run.env,
        config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
      });
      const controller = new AbortController();
      let error: unknown;
      try {
        for await (const event of own.run("[[attack:sleep]] go", {
          workingDirectory: run.workingDirectory,
          signal: controller.signal,
        })) {
          if (event.type === "tool_use") controller.abort(hostileReason());
        }
      } catch (caught) {
        error = caught;
      }
      expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_ABORTED");
      await own.close();
      expect(await codexProcessesUsing(run.codexHome)).toEqual([]);
    });
  });
}
