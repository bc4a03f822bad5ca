import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider } from "./codex.js";
import { CodexProviderError } from "./codexError.js";

// Opt-in: needs real credentials (CODEX_API_KEY, OPENAI_API_KEY or `codex login`) and network access.
const live = process.env.CODEX_LIVE_SMOKE === "1";

describe.skipIf(!live)("CodexProvider live smoke", () => {
  it("completes one real turn with a single terminal result", async () => {
    const workingDirectory = await mkdtemp(path.join(os.tmpdir(), "alphred-live-smoke-"));
    const events: ProviderEvent[] = [];
    try {
      const provider = new CodexProvider({ sandboxMode: "read-only" });
      for await (const event of provider.run("Reply with exactly the word: pong", {
        workingDirectory,
        timeout: 180_000,
      })) {
        events.push(event);
      }
    } catch (error) {
      if (CodexProviderError.isInstance(error)) {
        console.error(
          [
            "Codex live smoke failed:",
            `  code: ${error.code}`,
            `  details.classification: ${error.details.classification}`,
            `  retryable: ${error.retryable}`,
            `  details.statusCode: ${error.details.statusCode ?? "n/a"}`,
            `  details.failureCode: ${error.details.failureCode ?? "n/a"}`,
            `  message: ${error.message}`,
          ].join("\n"),
        );
      }
      throw error;
    } finally {
      await rm(workingDirectory, { recursive: true, force: true });
    }
    expect(events[0]).toMatchObject({ type: "system", metadata: { subtype: "thread_started" } });
    expect(events.filter((event) => event.type === "result")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("result");
    expect(events.at(-1)?.content.toLowerCase()).toContain("pong");
  });
});
