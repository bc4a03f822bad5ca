import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRunRedactor, REDACTED } from "./codexRedaction.js";

// Second round of adversarial tests of today's changes: the redactor's collision names and containers, the
// killed-codex classification, the per-transport option limits and the app-server's bounded threads.

const SECRET = "topsecretvalue123";

/** Every rendering of a value a caller might log. */
function rendered(value: unknown): string {
  let json = "";
  try {
    json = JSON.stringify(value) ?? "";
  } catch {}
  return `${json}\n${inspect(value, { depth: null, showHidden: true })}`;
}

describe("redactor: many colliding names", () => {
  it("20,000 keys that all redact to [REDACTED] are named in linear time, every value kept", () => {
    const redactor = createRunRedactor([SECRET]);
    const keys = Array.from({ length: 20_000 }, (_, index) => `sk-abcdefgh${index}`);
    const record = Object.fromEntries(keys.map((key, index) => [key, index]));
    const started = performance.now();
    const out = redactor.deep({ record, set: new Set(keys) });
    const elapsed = performance.now() - started;
    expect(Object.keys(out.record)).toHaveLength(20_000);
    expect(out.set.size).toBe(20_000);
    expect(new Set(Object.values(out.record)).size).toBe(20_000);
    expect(Object.keys(out.record)[19_999]).toBe(`${REDACTED}#20000`);
    // Quadratic naming took ~25 s here; linear takes well under a second even on a loaded machine.
    expect(elapsed).toBeLessThan(3000);
  });
});
