import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexError.js";
import { createRunRedactor, createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from "./codexRedaction.js";

// The redactor's two edges: redacted names that collide (nothing may be dropped) and symbols whose description
// holds a secret (as a key, as a value, in Maps, Sets and errors).

const SECRET = "edge-secret-value-42";
/** Every text a caller can get out of a value: util.inspect with hidden properties, and JSON. */
function rendered(value: unknown): string {
  let json = "";
  try {
    json = JSON.stringify(value) ?? "";
  } catch {
    // Cyclic: inspect covers it.
  }
  return `${inspect(value, { depth: null, showHidden: true })}\n${json}`;
}

describe("redacted names that collide keep every value", () => {
  it("a dirty key next to a key literally named [REDACTED]: the clean key keeps its name, the dirty one is #2", () => {
    const redactor = createRunRedactor([SECRET]);
    const input = { [SECRET]: 1, [REDACTED]: 2 };
    for (const out of [redactor.deep(input), redactor.built(input), redactor.error(input)]) {
      expect(out).toEqual({ [`${REDACTED}#2`]: 1, [REDACTED]: 2 });
    }
  });

  it("several dirty keys are numbered in key order, skipping every name a clean key holds", () => {
    const redactor = createRunRedactor([SECRET]);
    const input = { [`a ${SECRET}`]: 1, "a sk-proj-abcdef123456": 2, [`a ${REDACTED}#2`]: 3, b: SECRET };
    const out = redactor.deep(input);
    expect(Reflect.ownKeys(out)).toEqual([`a ${REDACTED}`, `a ${REDACTED}#3`, `a ${REDACTED}#2`, "b"]);
    expect(Object.values(out)).toEqual([1, 2, 3, REDACTED]);
    expect(redactor.built(input)).toEqual(out);
  });

  it("a nested object, a frozen one and an error's details keep all their values", () => {
    const redactor = createRunRedactor([SECRET]);
    const nested = { list: [Object.freeze({ [SECRET]: "x", [REDACTED]: "y" })] };
    const built = redactor.built(nested);
    expect(built.list[0]).toEqual({ [`${REDACTED}#2`]: "x", [REDACTED]: "y" });
    expect(Object.isFrozen(built.list[0])).toBe(true);
    const error = new CodexProviderError({
      code: "CODEX_INTERNAL_ERROR",
      message: "m",
      details: { [SECRET]: "first", [REDACTED]: "second" },
    });
    const out = redactor.error(error);
    expect(out).toBeInstanceOf(CodexProviderError);
    expect(out.details).toMatchObject({ [REDACTED]: "second", [`${REDACTED}#2`]: "first" });
    expect(Object.keys(out.details)).toHaveLength(Object.keys(error.details).length);
  });

  it("Map keys and Set members keep their count", () => {
    const redactor = createSecretRedactor([SECRET]);
    const map = new Map<unknown, number>([
      [SECRET, 1],
      [REDACTED, 2],
      ["sk-proj-abcdef123456", 3],
    ]);
    const out = redactor.deep(map);
    expect([...out]).toEqual([
      [`${REDACTED}#2`, 1],
      [REDACTED, 2],
      [`${REDACTED}#3`, 3],
    ]);
    const set = redactor.deep(new Set([SECRET, REDACTED, "plain"]));
    expect([...set]).toEqual([`${REDACTED}#2`, REDACTED, "plain"]);
  });

  it("uses another separator when a secret holds #, so a suffix never completes a secret", () => {
    const secret = "hash#secret-1";
    const redactor = createSecretRedactor([secret, `${REDACTED}#2-tail`]);
    const out = redactor.deep({ [secret]: 1, [REDACTED]: 2 });
    expect(Reflect.ownKeys(out)).toEqual([`${REDACTED}~2`, REDACTED]);
  });

  it("ends even when a redacted name still holds a secret (one that contains the marker itself)", () => {
    // `text` repeats its replacement at most 8 rounds: with a secret made of text and `[REDACTED]`, ten `x`s
    // before the marker leave two. Two keys that end up as that same name still get two names, and the walk ends.
    const redactor = createSecretRedactor([`x${REDACTED}`, "yyyyyyyy"]);
    const first = `${"x".repeat(10)}${REDACTED}`;
    const second = `${"x".repeat(9)}yyyyyyyy`;
    expect(redactor.text(first)).toBe(redactor.text(second));
    const out = redactor.deep({ [first]: 1, [second]: 2 });
    expect(Object.values(out)).toEqual([1, 2]);
    expect(Object.keys(out)).toEqual([redactor.text(first), `${redactor.text(first)}#2`]);
  });
});

describe("arrays: named properties and holes", () => {
  it("a secret in an array's named property is redacted, and named properties and holes are kept", () => {
    const redactor = createRunRedactor([SECRET]);
    // A match result carries the whole searched text as `input`.
    const match = /value/.exec(`the ${SECRET} here`);
    const out = redactor.deep({ match });
    expect(rendered(out)).not.toContain(SECRET);
    expect(out.match?.index).toBe(match?.index);
    expect(out.match?.input).toBe(`the ${REDACTED} here`);
    // biome-ignore lint/suspicious/noSparseArray: a hole is what this checks
    const sparse = Object.assign([SECRET, , "z"], { note: "kept", [Symbol("s")]: 1 });
    const copy = redactor.error(sparse);
    expect(copy).toHaveLength(3);
    expect(1 in copy).toBe(false);
    expect(copy.note).toBe("kept");
    expect(Reflect.ownKeys(copy)).toHaveLength(Reflect.ownKeys(sparse).length);
    const clean = Object.assign(["x"], { note: "clean" });
    expect(redactor.deep(clean)).toBe(clean);
    // Two holes and two named properties: as many own keys as a plain array of two, still not plain.
    const balanced = Object.assign(new Array<unknown>(2), { "": SECRET, a: SECRET });
    expect(rendered(redactor.deep(balanced))).not.toContain(SECRET);
  });
});

describe("symbols whose description holds a secret", () => {
  it("a symbol value and a symbol key become one fresh symbol with the redacted description", () => {
    const redactor = createSecretRedactor([SECRET]);
    const dirty = Symbol(`token ${SECRET}`);
    const input = { [dirty]: "value", self: dirty, list: [dirty] };
    const out = redactor.deep(input);
    expect(rendered(out)).not.toContain(SECRET);
    const [key] = Object.getOwnPropertySymbols(out);
    expect(key?.description).toBe(`token ${REDACTED}`);
    expect(out.self).toBe(key);
    expect(out.list[0]).toBe(key);
    expect(String(out.self)).toBe(`Symbol(token ${REDACTED})`);
    expect(Reflect.get(out, key as symbol)).toBe("value");
    // A new call makes a new replacement; a value holding no secret is returned as it is.
    expect(redactor.deep({ dirty }).dirty).not.toBe(key);
    expect(redactor.deep(dirty).description).toBe(`token ${REDACTED}`);
  });

  it("keeps clean symbols, symbols without a description and well-known symbols as the same reference", () => {
    const redactor = createSecretRedactor([SECRET, "Symbol.iterator"]);
    const clean = Symbol("clean");
    const anonymous = Symbol();
    const iterable = { [Symbol.iterator]: [].values, [clean]: anonymous, tag: Symbol.toStringTag };
    expect(redactor.deep(iterable)).toBe(iterable);
    expect(redactor.deep(Symbol.iterator)).toBe(Symbol.iterator);
    const mixed = { [Symbol.iterator]: [].values, [clean]: SECRET };
    const out = redactor.deep(mixed);
    expect(Object.getOwnPropertySymbols(out)).toEqual([Symbol.iterator, clean]);
    expect(Reflect.get(out, clean)).toBe(REDACTED);
  });

  it("keeps this package's own markers: a secret inside a class name does not break isInstance", () => {
    const error = new CodexProviderError({
      code: "CODEX_INTERNAL_ERROR",
      message: `m ${SECRET}`,
      details: {},
    });
    const out = createSecretRedactor([SECRET, "ProviderError"]).error(error);
    expect(out).not.toBe(error);
    expect(CodexProviderError.isInstance(out)).toBe(true);
    expect(out.message).toBe(`m ${REDACTED}`);
  });

  it("a registered symbol (Symbol.for) holding a secret gets an unregistered copy; a clean one is kept", () => {
    const redactor = createSecretRedactor([SECRET]);
    const registered = Symbol.for(`registry ${SECRET}`);
    const other = Symbol.for(`other ${SECRET}`);
    const out = redactor.deep({ [registered]: 1, [other]: 2, value: registered });
    const keys = Object.getOwnPropertySymbols(out);
    expect(keys.map((key) => key.description)).toEqual([`registry ${REDACTED}`, `other ${REDACTED}`]);
    expect(keys.map((key) => Symbol.keyFor(key))).toEqual([undefined, undefined]);
    expect(out.value).toBe(keys[0]);
    expect(rendered(out)).not.toContain(SECRET);
    const kept = Symbol.for("kept-registered");
    expect(redactor.deep({ kept }).kept).toBe(kept);
  });

  it("in Map keys and values, Set members and an error's properties and cause", () => {
    const redactor = createSecretRedactor([SECRET]);
    const dirty = Symbol(SECRET);
    const map = new Map<unknown, unknown>([
      [dirty, dirty],
      ["k", Symbol(`v ${SECRET}`)],
    ]);
    const set = new Set([dirty, Symbol(`s ${SECRET}`)]);
    const out = redactor.deep({ map, set });
    expect(rendered(out)).not.toContain(SECRET);
    expect(out.map.size).toBe(2);
    expect(out.set.size).toBe(2);
    const [[key, value]] = [...out.map] as [[symbol, symbol]];
    expect(value).toBe(key);
    expect(out.set.has(key)).toBe(true);
    const cause = Object.assign(new Error("inner"), { [dirty]: "hidden", tag: dirty });
    const error = new CodexProviderError({ code: "CODEX_INTERNAL_ERROR", message: "m", details: {}, cause });
    const redacted = redactor.error(error);
    expect(CodexProviderError.isInstance(redacted)).toBe(true);
    expect(rendered(redacted)).not.toContain(SECRET);
    expect(inspect(redacted, { depth: null, showHidden: true })).toContain(`Symbol(${REDACTED})`);
  });

  it("built redacts symbol values at any depth, as deep does", () => {
    const redactor = createRunRedactor([SECRET]);
    const dirty = Symbol(`x ${SECRET}`);
    const input = { a: [{ b: dirty }], c: dirty, d: Symbol("clean") };
    const out = redactor.built(input);
    expect(rendered(out)).not.toContain(SECRET);
    expect(out.a[0]?.b).toBe(out.c);
    expect(out.d).toBe(input.d);
    expect(inspect(out)).toBe(inspect(redactor.deep(input)));
    // A Map is handed to deep's walk within the same call: still one replacement for the symbol.
    const mixed = redactor.built({ c: dirty, map: new Map([["k", dirty]]) });
    expect(mixed.map.get("k")).toBe(mixed.c);
    expect(mixed.c).not.toBe(dirty);
  });
});

// Property tests: trees with symbol keys and values, colliding dirty keys, Maps, Sets and errors.

const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=:@%"\\ #';
const secretArb = fc
  .string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: MIN_SECRET_LENGTH, maxLength: 32 })
  .filter((secret) => secret.trim().length >= MIN_SECRET_LENGTH)
  // "Q7" first: a value made only of words ("Symbol") could match util.inspect's own decorations.
  .map((tail) => `Q7${tail}`);
const PLANT = "\u0000PLANT\u0000";
const fillerArb = fc.string({ unit: fc.constantFrom(..."abc XYZ 01.-é😀"), maxLength: 8 });
/** Text that may carry the plant, or collide on purpose with what a redacted one becomes. */
const textArb = fc.oneof(
  fillerArb,
  fc.tuple(fillerArb, fillerArb).map(([a, b]) => `${a}${PLANT}${b}`),
  fc.constantFrom(PLANT, `a ${PLANT}`, REDACTED, `${REDACTED}#2`, `${REDACTED}#3`, `a ${REDACTED}`),
);

/** A tree described as data, so one description builds the same value with any secret planted. */
type Spec =
  | { kind: "text"; text: string }
  | { kind: "number"; value: number }
  | { kind: "symbol"; index: number }
  | { kind: "array"; items: Spec[] }
  /** An array with holes (`null`) and named or symbol properties besides its elements. */
  | { kind: "sparse"; items: (Spec | null)[]; entries: [KeySpec, Spec][] }
  | { kind: "object"; frozen: boolean; entries: [KeySpec, Spec][] }
  | { kind: "map"; entries: [Spec, Spec][] }
  | { kind: "set"; items: Spec[] }
  | { kind: "error"; message: string; entries: [KeySpec, Spec][] };
type KeySpec = { kind: "text"; text: string } | { kind: "symbol"; index: number };
/** A pool of symbols (description, registered or not) each tree refers to by index, so one can recur. */
type SymbolSpec = { description: string | undefined; registered: boolean };

const POOL = 4;
const keyArb: fc.Arbitrary<KeySpec> = fc.oneof(
  { weight: 4, arbitrary: textArb.map((text) => ({ kind: "text" as const, text })) },
  { weight: 1, arbitrary: fc.nat(POOL - 1).map((index) => ({ kind: "symbol" as const, index })) },
);
const specArb: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    textArb.map((text) => ({ kind: "text" as const, text })),
    fc.integer().map((value) => ({ kind: "number" as const, value })),
    fc.nat(POOL - 1).map((index) => ({ kind: "symbol" as const, index })),
    fc.array(tie("spec"), { maxLength: 3 }).map((items) => ({ kind: "array" as const, items })),
    fc
      .record({ frozen: fc.boolean(), entries: fc.array(fc.tuple(keyArb, tie("spec")), { maxLength: 5 }) })
      .map(({ frozen, entries }) => ({ kind: "object" as const, frozen, entries })),
    fc
      .array(fc.tuple(tie("spec"), tie("spec")), { maxLength: 3 })
      .map((entries) => ({ kind: "map" as const, entries })),
    fc.array(tie("spec"), { maxLength: 3 }).map((items) => ({ kind: "set" as const, items })),
    fc
      .record({
        items: fc.array(fc.option(tie("spec"), { nil: null }), { maxLength: 3 }),
        entries: fc.array(fc.tuple(keyArb, tie("spec")), { maxLength: 2 }),
      })
      .map(({ items, entries }) => ({ kind: "sparse" as const, items, entries })),
    fc
      .record({ message: textArb, entries: fc.array(fc.tuple(keyArb, tie("spec")), { maxLength: 3 }) })
      .map(({ message, entries }) => ({ kind: "error" as const, message, entries })),
  ),
})).spec;
const poolArb = fc.array(
  fc.record({ description: fc.option(textArb, { nil: undefined }), registered: fc.boolean() }),
  { minLength: POOL, maxLength: POOL },
);

function build(spec: Spec, pool: SymbolSpec[], secret: string): unknown {
  const text = (value: string) => value.split(PLANT).join(secret);
  // Registered symbols live in a global registry: a fixed prefix keeps these apart from everything else.
  const symbols = pool.map(({ description, registered }) =>
    registered ? Symbol.for(`edge ${text(description ?? "")}`) : Symbol(description && text(description)),
  );
  const key = (spec: KeySpec): PropertyKey =>
    spec.kind === "text" ? text(spec.text) : (symbols[spec.index] as symbol);
  const define = (target: object, entries: [KeySpec, Spec][]) => {
    for (const [name, value] of entries) {
      Reflect.defineProperty(target, key(name), {
        value: walk(value),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return target;
  };
  const walk = (spec: Spec): unknown => {
    switch (spec.kind) {
      case "text":
        return text(spec.text);
      case "number":
        return spec.value;
      case "symbol":
        return symbols[spec.index];
      case "array":
        return spec.items.map(walk);
      case "sparse": {
        const array = new Array<unknown>(spec.items.length);
        spec.items.forEach((item, index) => {
          if (item !== null) array[index] = walk(item);
        });
        return define(array, spec.entries);
      }
      case "object": {
        const object = define({}, spec.entries);
        return spec.frozen ? Object.freeze(object) : object;
      }
      case "map":
        return new Map(spec.entries.map(([k, v]) => [walk(k), walk(v)]));
      case "set":
        return new Set(spec.items.map(walk));
      case "error":
        return define(new Error(text(spec.message)), spec.entries);
    }
  };
  return walk(spec);
}

/** How many own keys / entries each container has, in walk order: a dropped value changes it. */
function sizes(value: unknown, out: number[] = []): number[] {
  if (typeof value !== "object" || value === null) return out;
  if (value instanceof Map) {
    out.push(value.size);
    for (const [key, entry] of value) sizes(entry, sizes(key, out));
  } else if (value instanceof Set) {
    out.push(value.size);
    for (const entry of value) sizes(entry, out);
  }
  const keys = Reflect.ownKeys(value);
  out.push(keys.length);
  for (const key of keys) {
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
    if (descriptor && "value" in descriptor) sizes(descriptor.value, out);
  }
  return out;
}

/** The distinct symbols of a value (keys and values at any depth). */
function symbolsIn(value: unknown, found = new Set<symbol>()): Set<symbol> {
  if (typeof value === "symbol") found.add(value);
  if (typeof value !== "object" || value === null) return found;
  if (value instanceof Map) for (const [key, entry] of value) symbolsIn(entry, symbolsIn(key, found));
  if (value instanceof Set) for (const entry of value) symbolsIn(entry, found);
  for (const key of Reflect.ownKeys(value)) {
    symbolsIn(key, found);
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
    if (descriptor && "value" in descriptor) symbolsIn(descriptor.value, found);
  }
  return found;
}

describe("properties over symbols and colliding keys", () => {
  it("no secret in util.inspect or JSON, every key and entry kept, each symbol one symbol (property)", () => {
    fc.assert(
      fc.property(secretArb, specArb, poolArb, (secret, spec, pool) => {
        const input = build(spec, pool, secret);
        const redactor = createRunRedactor([secret]);
        for (const out of [redactor.deep(input), redactor.error(input)]) {
          const text = rendered(out);
          expect(text.includes(secret)).toBe(false);
          expect(text.includes(JSON.stringify(secret).slice(1, -1))).toBe(false);
          expect(sizes(out)).toEqual(sizes(input));
          expect(symbolsIn(out).size).toBe(symbolsIn(input).size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("built gives what deep gives on plain data with symbol values and colliding keys (property)", () => {
    /** Plain data only: what `built` is for (no symbol keys: the wire copy drops them). */
    const plainArb: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
      spec: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        textArb.map((text) => ({ kind: "text" as const, text })),
        fc.nat(POOL - 1).map((index) => ({ kind: "symbol" as const, index })),
        fc.array(tie("spec"), { maxLength: 3 }).map((items) => ({ kind: "array" as const, items })),
        fc
          .record({
            frozen: fc.boolean(),
            entries: fc.array(
              fc.tuple(
                textArb.map((text) => ({ kind: "text" as const, text })),
                tie("spec"),
              ),
              { maxLength: 5 },
            ),
          })
          .map(({ frozen, entries }) => ({ kind: "object" as const, frozen, entries })),
      ),
    })).spec;
    fc.assert(
      fc.property(secretArb, plainArb, poolArb, (secret, spec, pool) => {
        const input = build(spec, pool, secret);
        const redactor = createRunRedactor([secret]);
        const out = redactor.built(input);
        expect(rendered(out).includes(secret)).toBe(false);
        expect(sizes(out)).toEqual(sizes(input));
        expect(symbolsIn(out).size).toBe(symbolsIn(input).size);
        expect(inspect(out, { depth: null, showHidden: true })).toBe(
          inspect(redactor.deep(input), { depth: null, showHidden: true }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("a value without the secret, symbols included, comes back as the same reference (property)", () => {
    fc.assert(
      fc.property(secretArb, specArb, poolArb, (secret, spec, pool) => {
        const input = build(spec, pool, "");
        fc.pre(!rendered(input).includes(secret));
        // `[REDACTED]` itself is clean text: no secret, nothing to rename.
        const redactor = createRunRedactor([secret]);
        expect(redactor.deep(input)).toBe(input);
        expect(redactor.error(input)).toBe(input);
      }),
    );
  });
});
