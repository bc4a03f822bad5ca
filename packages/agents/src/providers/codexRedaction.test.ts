import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexError.js";
import { createRunRedactor, createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from "./codexRedaction.js";

/** Characters real keys and tokens are made of, plus a few that need escaping in URLs and JSON. */
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=:@%"\\ ';
/** Filler text: letters, digits, spaces, punctuation, newlines, non-ASCII. */
const FILLER_CHARS = "abcdefghij KLMNOP 0123 .,;:!?()-\n\té€😀";

const secretArb = fc
  .string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: MIN_SECRET_LENGTH, maxLength: 48 })
  .filter((secret) => secret.trim().length >= MIN_SECRET_LENGTH)
  // "Q7" first: a value made only of words ("prototype") could match util.inspect's own decorations.
  .map((tail) => `Q7${tail}`);
const fillerArb = fc.string({ unit: fc.constantFrom(...FILLER_CHARS), maxLength: 24 });
const PLANT = "\u0000PLANT\u0000";

/** A string that carries the placeholder (replaced by the secret later) or not. */
const leafArb = fc.oneof(
  { weight: 2, arbitrary: fillerArb },
  { weight: 1, arbitrary: fc.tuple(fillerArb, fillerArb).map(([a, b]) => `${a}${PLANT}${b}`) },
);

/** Nested JSON-like data: objects, arrays, numbers, booleans, null, strings with a planted secret. */
const treeArb = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("tree"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("tree"), { maxKeys: 4 }),
  ),
})).tree;

function plant(value: unknown, secret: string): unknown {
  if (typeof value === "string") return value.split(PLANT).join(secret);
  if (Array.isArray(value)) return value.map((entry) => plant(entry, secret));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plant(entry, secret)]));
  }
  return value;
}

/** An event-shaped value: top-level content plus metadata at any depth. */
const eventArb = fc.record({
  type: fc.constantFrom("system", "assistant", "tool_use", "tool_result", "usage", "result"),
  content: leafArb,
  timestamp: fc.nat(),
  metadata: fc.dictionary(fc.string({ maxLength: 8 }), treeArb, { maxKeys: 5 }),
});

/** Every text a caller can get out of a value: JSON (with toJSON), util.inspect (hidden too), String(). */
function surfaces(value: unknown): string {
  const parts = [inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }), String(value)];
  try {
    parts.push(JSON.stringify(value) ?? "");
  } catch {
    // Cyclic: inspect above covers it.
  }
  for (let link = value, depth = 0; link instanceof Error && depth < 10; link = link.cause, depth++) {
    parts.push(link.message, String(link.stack), String(link));
  }
  return parts.join("\n");
}

const leaks = (text: string, secret: string) => text.includes(secret);

describe("createSecretRedactor: text", () => {
  it("replaces every occurrence of every secret, and keeps the rest", () => {
    const redactor = createSecretRedactor(["alpha-secret-1", "beta-secret-22", undefined, "short"]);
    expect(redactor.secrets).toEqual(["alpha-secret-1", "beta-secret-22"]);
    expect(redactor.text("a alpha-secret-1 b beta-secret-22 c alpha-secret-1 short")).toBe(
      `a ${REDACTED} b ${REDACTED} c ${REDACTED} short`,
    );
  });

  it("merges overlapping secrets so no fragment survives", () => {
    const redactor = createSecretRedactor(["aaaaaaaab", "abbbbbbbb"]);
    expect(redactor.text("xaaaaaaaabbbbbbbbx")).toBe(`x${REDACTED}x`);
  });

  it("leaves no fragment of overlapping secrets when more occurrences follow (property)", () => {
    // A merged span once ended where its first secret did, so a later occurrence let the rest of the second through.
    expect(
      createSecretRedactor(["AAAAbbbbCCCC", "CCCCddddEEEE"]).text("x AAAAbbbbCCCCddddEEEE y AAAAbbbbCCCC z"),
    ).toBe(`x ${REDACTED} y ${REDACTED} z`);
    fc.assert(
      fc.property(
        secretArb,
        secretArb,
        fc.integer({ min: 1, max: MIN_SECRET_LENGTH - 1 }),
        fc.array(fillerArb, { minLength: 3, maxLength: 3 }),
        (first, rest, overlap, [a, b, c]) => {
          const second = `${first.slice(-overlap)}${rest}`;
          const out = createSecretRedactor([first, second]).text(
            `${a}${first}${rest}${b}${first}${c}${second}`,
          );
          expect(out).not.toContain(rest);
          expect(out).not.toContain(first);
        },
      ),
    );
  });

  it("catches the URL-encoded, JSON-escaped and base64 forms of a secret", () => {
    const secret = 'p@ss/w"rd+key';
    const redactor = createSecretRedactor([secret]);
    const base64 = Buffer.from(secret).toString("base64");
    for (const form of [encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), base64]) {
      expect(redactor.text(`seen ${form} here`)).toBe(`seen ${REDACTED} here`);
    }
  });

  it("redacts sk- keys, bearer tokens, authorization values and URL passwords by pattern", () => {
    const redactor = createSecretRedactor([]);
    expect(redactor.text("key sk-proj-abcdef123456 used")).toBe(`key ${REDACTED} used`);
    expect(redactor.text("Authorization: Bearer abc.def-123456")).not.toContain("abc.def-123456");
    expect(redactor.text("authorization=token zzzzzzzzzz")).not.toContain("zzzzzzzzzz");
    expect(redactor.text("GET http://user:pw@host/v1 failed")).toBe(
      `GET http://user:${REDACTED}@host/v1 failed`,
    );
  });

  it("does not treat values shorter than MIN_SECRET_LENGTH as secrets", () => {
    expect(MIN_SECRET_LENGTH).toBe(8);
    const redactor = createSecretRedactor(["pass", "1234567"]);
    expect(redactor.secrets).toEqual([]);
    expect(redactor.text("password 1234567")).toBe("password 1234567");
  });

  it("never lets a planted secret through, whatever surrounds it (property)", () => {
    fc.assert(
      fc.property(secretArb, fillerArb, fillerArb, fc.nat(3), (secret, before, after, extra) => {
        const redactor = createSecretRedactor([secret, "unrelated-secret-value"]);
        const text = `${before}${secret}${after}${secret.repeat(extra)}`;
        expect(leaks(redactor.text(text), secret)).toBe(false);
      }),
    );
  });

  it("passes clean text through byte-identical (property)", () => {
    fc.assert(
      fc.property(secretArb, fc.string({ maxLength: 200 }), (secret, text) => {
        const redactor = createSecretRedactor([secret]);
        fc.pre(!text.includes(secret) && !/sk-|bearer|authorization|:\/\/.*@/i.test(text));
        expect(redactor.text(text)).toBe(text);
      }),
    );
  });
});

describe("createSecretRedactor: text, short and long", () => {
  /** Text around a plant: short (one regex pre-check) or long (one native search per literal). */
  const surroundArb = fc.oneof(
    fillerArb,
    fc.tuple(fillerArb, fc.integer({ min: 12, max: 40 })).map(([text, times]) => `${text} `.repeat(times)),
  );
  /** A secret in one of its encoded forms, or a pattern match in any letter case. */
  const plantArb = (secret: string) =>
    fc.oneof(
      fc.constant(secret),
      fc.constant(encodeURIComponent(secret)),
      fc.constant(JSON.stringify(secret).slice(1, -1)),
      fc.constant(Buffer.from(secret).toString("base64")),
      fc.constant(Buffer.from(secret).toString("base64").replace(/=+$/, "")),
    );
  const caseArb = (word: string) =>
    fc
      .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
      .map((upper) => [...word].map((char, at) => (upper[at] ? char.toUpperCase() : char)).join(""));

  it("removes every form of a secret from short and long text (property)", () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), plantArb(secret))),
        surroundArb,
        surroundArb,
        ([secret, form], before, after) => {
          const out = createSecretRedactor([secret]).text(`${before}${form}${after}`);
          expect(out.includes(form)).toBe(false);
        },
      ),
    );
  });

  it("removes pattern matches in any case from short and long text (property)", () => {
    const token = "tok3n.VALUE-99";
    const matchArb = fc.oneof(
      fc.constant(`sk-proj-${token}`),
      caseArb("bearer").map((word) => `${word} ${token}`),
      caseArb("authorization").map((word) => `${word}: ${token}`),
      fc.constant(`https://user:${token}@host/x`),
    );
    fc.assert(
      fc.property(matchArb, surroundArb, surroundArb, (match, before, after) => {
        const out = createSecretRedactor([]).text(`${before} ${match} ${after}`);
        expect(out).not.toContain(token);
        expect(out).toContain(REDACTED);
      }),
    );
  });
});

describe("createSecretRedactor: deep", () => {
  it("keeps one string instance one instance: a dirty output in two fields is redacted to one copy", () => {
    const redactor = createSecretRedactor(["the-secret-value"]);
    const output = `${"line\n".repeat(50)}the-secret-value`;
    const event = { type: "tool_result", content: output, metadata: { output } };
    const out = redactor.deep(event);
    expect(out.content).not.toContain("the-secret-value");
    expect(out.metadata.output).toBe(out.content);
    const clean = { content: "line\n".repeat(50), metadata: { output: "x" } };
    expect(redactor.deep(clean)).toBe(clean);
  });

  it("redacts below any depth and across shared subtrees (the general scan takes over)", () => {
    const redactor = createSecretRedactor(["the-secret-value"]);
    let deep: unknown = { leaf: "has the-secret-value" };
    for (let level = 0; level < 200; level++) deep = { next: deep };
    expect(JSON.stringify(redactor.deep(deep))).not.toContain("the-secret-value");
    // 2^40 paths through 40 shared nodes: visited once each, not once per path.
    let shared: unknown = ["has the-secret-value"];
    for (let level = 0; level < 40; level++) shared = { left: shared, right: shared };
    const out = redactor.deep(shared) as { left: unknown; right: unknown };
    expect(out.left).toBe(out.right);
    let node: unknown = out;
    for (let level = 0; level < 40; level++) node = (node as { left: unknown }).left;
    expect(node).toEqual([`has ${REDACTED}`]);
  });

  it("redacts every string of an event at any depth (property)", () => {
    fc.assert(
      fc.property(secretArb, eventArb, (secret, shape) => {
        const event = plant(shape, secret);
        const redacted = createSecretRedactor([secret]).deep(event);
        expect(leaks(surfaces(redacted), secret)).toBe(false);
      }),
    );
  });

  it("returns the same reference, untouched, when nothing holds a secret (property)", () => {
    fc.assert(
      fc.property(secretArb, eventArb, (secret, shape) => {
        const event = plant(shape, "");
        fc.pre(!JSON.stringify(event).includes(secret));
        const before = JSON.stringify(event);
        const redactor = createSecretRedactor([secret]);
        expect(redactor.deep(event)).toBe(event);
        expect(JSON.stringify(event)).toBe(before);
      }),
    );
  });

  it("keeps clean subtrees shared, does not modify the input, and keeps prototypes", () => {
    class Box {
      constructor(readonly label: string) {}
      describe(): string {
        return `box ${this.label}`;
      }
    }
    const clean = { deep: ["ok"] };
    const input = { clean, box: new Box("has secret-value-1"), list: ["secret-value-1"] };
    const redactor = createSecretRedactor(["secret-value-1"]);
    const out = redactor.deep(input);
    expect(out).not.toBe(input);
    expect(out.clean).toBe(clean);
    expect(out.box).toBeInstanceOf(Box);
    expect(out.box.describe()).toBe(`box has ${REDACTED}`);
    expect(out.list).toEqual([REDACTED]);
    expect(input.list).toEqual(["secret-value-1"]);
  });

  it("keeps frozen objects frozen, opaque values shared and accessors of plain objects as they are", () => {
    const secret = "frozen-secret-77";
    const when = new Date(0);
    const withGetter: { text: string; readonly lazy: string } = Object.defineProperty(
      { text: secret },
      "lazy",
      { get: () => "computed", enumerable: true },
    ) as { text: string; readonly lazy: string };
    const input = Object.freeze({ text: secret, when, bytes: new Uint8Array([1]), withGetter });
    const out = createSecretRedactor([secret]).deep(input);
    expect(Object.isFrozen(out)).toBe(true);
    expect(out.text).toBe(REDACTED);
    expect(out.when).toBe(when);
    expect(out.bytes).toBe(input.bytes);
    expect(out.withGetter.lazy).toBe("computed");
    expect(out.withGetter.text).toBe(REDACTED);
  });

  it("never invokes a plain object's getter, and reads an error's own accessor", () => {
    const secret = "accessor-secret-31";
    let calls = 0;
    const clean = Object.defineProperty({ text: "clean" }, "lazy", {
      get: () => {
        calls++;
        return secret;
      },
      enumerable: true,
    });
    const redactor = createSecretRedactor([secret]);
    expect(redactor.deep(clean)).toBe(clean);
    expect(calls).toBe(0);
    const error = Object.defineProperty(new Error("boom"), "hint", { get: () => `hint ${secret}` });
    const out = redactor.error(error);
    expect(out).not.toBe(error);
    expect(Reflect.get(out, "hint")).toBe(`hint ${REDACTED}`);
  });

  it("finds a secret held only by a Map key, a Map value or a Set entry", () => {
    const secret = "collection-secret-19";
    const redactor = createSecretRedactor([secret]);
    for (const input of [new Map([[secret, 1]]), new Map([[1, secret]]), new Set([secret])]) {
      const out = redactor.deep({ input });
      expect(out.input).not.toBe(input);
      expect(inspect(out)).not.toContain(secret);
    }
  });

  it("handles cycles, Maps and Sets", () => {
    const secret = "cyclic-secret-42";
    type Node = { name: string; self?: Node; peer?: Node; map?: Map<string, unknown>; set?: Set<unknown> };
    const a: Node = { name: "a" };
    const b: Node = { name: `b ${secret}`, peer: a };
    a.self = a;
    a.peer = b;
    a.map = new Map([[secret, { value: secret }]]);
    a.set = new Set([secret, "plain"]);
    const out = createSecretRedactor([secret]).deep(a);
    expect(out).not.toBe(a);
    expect(out.self).toBe(out);
    expect(out.peer?.peer).toBe(out);
    expect(leaks(inspect(out, { depth: 10 }), secret)).toBe(false);
    expect(out.set?.has("plain")).toBe(true);
    const cleanCycle: Node = { name: "clean" };
    cleanCycle.self = cleanCycle;
    expect(createSecretRedactor([secret]).deep(cleanCycle)).toBe(cleanCycle);
  });
});

const errorArb = fc.record({
  code: fc.constantFrom("CODEX_AUTH_ERROR", "CODEX_TRANSPORT_ERROR", "CODEX_INTERNAL_ERROR"),
  message: leafArb,
  details: fc.dictionary(fc.string({ maxLength: 8 }), treeArb, { maxKeys: 4 }),
  causes: fc.array(fc.tuple(leafArb, fc.option(leafArb)), { maxLength: 3 }),
  retryable: fc.boolean(),
});

function buildError(shape: unknown, secret: string): CodexProviderError {
  const { code, message, details, causes, retryable } = plant(shape, secret) as {
    code: "CODEX_AUTH_ERROR";
    message: string;
    details: Record<string, unknown>;
    causes: [string, string | null][];
    retryable: boolean;
  };
  let cause: unknown;
  for (const [causeMessage, extra] of causes.reverse()) {
    const link = new Error(causeMessage, cause === undefined ? undefined : { cause });
    if (extra !== null) Object.assign(link, { body: extra });
    cause = link;
  }
  return new CodexProviderError({ code, message, retryable, details, cause });
}

describe("createRunRedactor: built (the run handle's walk of its own events)", () => {
  it("redacts plain data exactly as deep does, and returns clean data as the same reference (property)", () => {
    fc.assert(
      fc.property(eventArb, secretArb, (event, secret) => {
        const input = plant(event, secret);
        const redactor = createRunRedactor([secret]);
        const out = redactor.built(input);
        expect(out).toEqual(createSecretRedactor([secret]).deep(input));
        expect(surfaces(out).includes(secret)).toBe(false);
        if (!JSON.stringify(input).includes(JSON.stringify(secret).slice(1, -1))) expect(out).toBe(input);
      }),
    );
  });

  it("hands other containers and deep trees to deep's walk, and keeps clean subtrees shared", () => {
    const secret = "built-secret-42";
    const redactor = createRunRedactor([secret]);
    const clean = { list: ["ok"] };
    let deepTree: unknown = secret;
    for (let level = 0; level < 100; level++) deepTree = { level: deepTree };
    const input = { clean, map: new Map([["k", secret]]), frozen: Object.freeze({ text: secret }), deepTree };
    const out = redactor.built(input);
    expect(out.clean).toBe(clean);
    expect(out.map.get("k")).toBe(REDACTED);
    expect(Object.isFrozen(out.frozen)).toBe(true);
    expect(out.frozen.text).toBe(REDACTED);
    expect(surfaces(out)).not.toContain(secret);
    expect(surfaces(input)).toContain(secret);
  });
});

describe("createSecretRedactor: error", () => {
  it("leaves no secret in message, stack, details, cause chain, toJSON or util.inspect (property)", () => {
    fc.assert(
      fc.property(secretArb, errorArb, (secret, shape) => {
        const error = buildError(shape, secret);
        const redacted = createSecretRedactor([secret]).error(error);
        expect(leaks(surfaces(redacted), secret)).toBe(false);
        expect(leaks(JSON.stringify(redacted.toJSON()), secret)).toBe(false);
        expect(CodexProviderError.isInstance(redacted)).toBe(true);
        expect(redacted).toBeInstanceOf(CodexProviderError);
        expect({ code: redacted.code, retryable: redacted.retryable }).toEqual({
          code: error.code,
          retryable: error.retryable,
        });
      }),
    );
  });

  it("returns the same error when it holds no secret (property)", () => {
    fc.assert(
      fc.property(secretArb, errorArb, (secret, shape) => {
        const error = buildError(shape, "");
        fc.pre(!surfaces(error).includes(secret));
        expect(createSecretRedactor([secret]).error(error)).toBe(error);
      }),
    );
  });

  it("redacts a plain Error's stack and a cyclic cause chain", () => {
    const secret = "plain-error-secret";
    const inner = new Error(`inner ${secret}`);
    const outer = new TypeError(`outer ${secret}`, { cause: inner });
    (inner as Error & { cause?: unknown }).cause = outer;
    const out = createSecretRedactor([secret]).error(outer);
    expect(out).toBeInstanceOf(TypeError);
    expect(out.message).toBe(`outer ${REDACTED}`);
    expect(out.stack).toContain(`TypeError: outer ${REDACTED}`);
    expect(((out.cause as Error).cause as Error) === out).toBe(true);
    expect(leaks(inspect(out, { depth: 10 }), secret)).toBe(false);
  });

  it("redacts strings and leaves other thrown values alone", () => {
    const redactor = createSecretRedactor(["thrown-secret-1"]);
    expect(redactor.error("boom thrown-secret-1")).toBe(`boom ${REDACTED}`);
    expect(redactor.error(42)).toBe(42);
    expect(redactor.error(undefined)).toBeUndefined();
  });
});
