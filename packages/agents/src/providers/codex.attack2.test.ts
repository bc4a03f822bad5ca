import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createJsonRpcClient } from "./appServer/jsonRpc.js";
import { classifyCodexFailure, type FailureFacts } from "./codexClassify.js";
import { CodexProviderError } from "./codexError.js";
import { parseRunOptions } from "./codexOptions.js";
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

describe("redactor: boxed primitives", () => {
  it("a String object holding a secret is redacted (JSON and util.inspect show its text)", () => {
    const redactor = createRunRedactor([SECRET]);
    const boxed = Object.assign(new String(`key ${SECRET} here`), { note: SECRET });
    const out = redactor.deep({ a: boxed, list: [boxed], map: new Map([["k", boxed]]) });
    expect(rendered(out)).not.toContain(SECRET);
    expect(rendered(out)).not.toContain("value123");
    expect(out.a).toBeInstanceOf(String);
    expect(String(out.a)).toBe(`key ${REDACTED} here`);
    expect(out.list[0]).toBe(out.a);
    expect((out.a as unknown as { note: string }).note).toBe(REDACTED);
    expect(redactor.error(new Error("x", { cause: boxed })).cause).toBeInstanceOf(String);
    expect(rendered(redactor.error(new Error("x", { cause: boxed })))).not.toContain(SECRET);
    expect(rendered(redactor.built({ a: [boxed] }))).not.toContain(SECRET);
  });

  it("a Symbol object whose description holds a secret is redacted; clean boxes stay the same reference", () => {
    const redactor = createRunRedactor([SECRET]);
    const out = redactor.deep([Object(Symbol(SECRET))]);
    expect(rendered(out)).not.toContain(SECRET);
    expect(typeof out[0]).toBe("object");
    const clean = { a: new String("nothing to see"), b: Object(Symbol("plain")) };
    expect(redactor.deep(clean)).toBe(clean);
  });

  it("no fragment of a secret in a boxed string survives, whatever surrounds it (property)", () => {
    const redactor = createRunRedactor([SECRET]);
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        const out = redactor.deep({ value: new String(`${before}${SECRET}${after}`) });
        const text = String(out.value);
        expect(text).toBe(redactor.text(`${before}${SECRET}${after}`));
        // Index properties are the new text's only: none left over from the longer original.
        expect(Object.keys(out.value)).toEqual(Object.keys(new String(text)));
      }),
    );
  });
});

describe("redactor: shape guarantees of copies", () => {
  it("built ignores a polluted Object.prototype: a secret inherited there never becomes an own key of the event", () => {
    const redactor = createRunRedactor([SECRET]);
    Reflect.set(Object.prototype, "polluted", SECRET);
    try {
      const event = { type: "assistant", content: "fine", nested: { list: ["a"] } };
      expect(redactor.built(event)).toBe(event);
      expect(redactor.deep(event)).toBe(event);
      const dirty = { type: "assistant", content: `x ${SECRET}` };
      const out = redactor.built(dirty);
      expect(Object.keys(out)).toEqual(["type", "content"]);
      expect(out.content).toBe(`x ${REDACTED}`);
    } finally {
      Reflect.deleteProperty(Object.prototype, "polluted");
    }
  });

  it("a sealed or non-extensible object stays so in its copy, as a frozen one stays frozen", () => {
    const redactor = createRunRedactor([SECRET]);
    const sealed = redactor.deep(Object.seal({ [`k ${SECRET}`]: 1, value: SECRET }));
    expect(Object.isSealed(sealed)).toBe(true);
    expect(Object.isFrozen(sealed)).toBe(false);
    expect(sealed).toEqual({ [`k ${REDACTED}`]: 1, value: REDACTED });
    const fixed = redactor.deep(Object.preventExtensions([SECRET, "b"]));
    expect(Object.isExtensible(fixed)).toBe(false);
    expect(fixed).toEqual([REDACTED, "b"]);
    expect(Object.isExtensible(redactor.deep({ value: SECRET }))).toBe(true);
  });
});

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

/** A JSON-RPC client whose written lines are collected; nothing ever answers. */
function silentClient() {
  const lines: string[] = [];
  const client = createJsonRpcClient({
    transport: { writeLine: (line) => lines.push(line), onLine: () => undefined, onClose: () => undefined },
    defaultTimeoutMs: 0,
  });
  return { client, lines };
}

/** True when the JSON text holds an escaped UTF-16 surrogate (`\udXXX`) that is not preceded by an escaping `\`. */
function hasSurrogateEscape(line: string): boolean {
  return /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i.test(line);
}

describe("app-server JSON-RPC: lone surrogates", () => {
  it("a lone surrogate is sent as U+FFFD, as exec's UTF-8 argv and stdin carry it (codex's parser refuses the escape and never answers)", () => {
    const { client, lines } = silentClient();
    void client.request("turn/start", { input: [{ text: "a\uD800b\uDC00c" }], nested: ["\uDBFF"] });
    client.notify("x", { text: "\uDFFF" });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(hasSurrogateEscape(line)).toBe(false);
    expect(JSON.parse(lines[0] as string).params).toEqual({
      input: [{ text: "a\uFFFDb\uFFFDc" }],
      nested: ["\uFFFD"],
    });
    expect(JSON.parse(lines[1] as string).params).toEqual({ text: "\uFFFD" });
  });

  it("every string is sent well-formed, and well-formed text (pairs, backslashes before `ud800`) unchanged (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("\\ud800", "\\\uD800", "😀"))),
        fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" })),
        (texts, record) => {
          const { client, lines } = silentClient();
          void client.request("m", { texts, record });
          const line = lines[0] as string;
          expect(hasSurrogateEscape(line)).toBe(false);
          const wellFormed = (text: string) => Buffer.from(text, "utf8").toString("utf8");
          expect(JSON.parse(line).params).toEqual({
            texts: texts.map(wellFormed),
            record: Object.fromEntries(
              Object.entries(record).map(([key, value]) => [wellFormed(key), wellFormed(value)]),
            ),
          });
        },
      ),
    );
  });
});

describe("classifier: odd signal facts (classifyCodexFailure is public through the testing entry)", () => {
  /** Facts a caller may pass from untyped code. */
  const odd = (facts: Record<string, unknown>) => classifyCodexFailure(facts as FailureFacts);

  it("a signal that is no signal name never throws and is not reported as one", () => {
    const throwing = {
      toString: () => {
        throw new Error("no text");
      },
    };
    for (const signal of [Symbol("SIGKILL"), throwing, {}, "", "   ", null, 9, Number.NaN, ["SIGKILL"]]) {
      const error = odd({ signal });
      expect(CodexProviderError.isInstance(error)).toBe(true);
      expect(error.details.signal).toBeUndefined();
      expect(error.details.failureCode).not.toBe("process_killed");
      expect(error.message).not.toMatch(/killed by (?:,|\[object|9|null)/);
    }
  });

  it("a named signal without a stop of the provider is process_killed; a null stoppedBy is no stop", () => {
    for (const stoppedBy of [undefined, null]) {
      const error = odd({ signal: " SIGKILL ", stoppedBy });
      expect(error).toMatchObject({ code: "CODEX_TRANSPORT_ERROR", retryable: true });
      expect(error.details).toMatchObject({ signal: "SIGKILL", failureCode: "process_killed" });
    }
  });

  it("whatever the facts hold, the classifier returns a typed error (property)", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            signal: fc.anything({ withBigInt: true, withMap: true, withSet: true }),
            stoppedBy: fc.oneof(
              fc.constantFrom("abort", "timeout", "grace", "consumer", "fail_fast"),
              fc.anything(),
            ),
            message: fc.anything(),
            stderr: fc.anything(),
            exitCode: fc.anything(),
            errno: fc.anything(),
            statusCode: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (facts) => {
          const error = odd(facts);
          expect(CodexProviderError.isInstance(error)).toBe(true);
          const signal = error.details.signal;
          expect(
            signal === undefined || (typeof signal === "string" && signal.trim() === signal && signal !== ""),
          ).toBe(true);
        },
      ),
    );
  });
});

describe("options: systemPrompt text", () => {
  it("a lone surrogate becomes U+FFFD on both transports (exec's TOML argument carried it as the six characters \\udc00)", () => {
    for (const transport of ["exec", "app-server"] as const) {
      const options = parseRunOptions(
        { workingDirectory: "/w", systemPrompt: " a\uD800b\uDC00c😀 " },
        transport,
      );
      expect(options.systemPrompt).toBe("a\uFFFDb\uFFFDc😀");
    }
  });
});
