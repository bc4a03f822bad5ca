/**
 * The one place secrets are removed from what the provider hands to callers. A redactor is built once per run
 * from every secret the run knows of (see `codexSecrets.ts`); `run()` passes each event it yields through
 * `deep` and each error it throws through `error`, so no field can be forgotten.
 */

/** Removes known secrets, OpenAI-shaped keys, bearer/authorization values and URL passwords from any value. */
export interface SecretRedactor {
  /** The secrets this redactor removes (deduplicated, each at least `MIN_SECRET_LENGTH` characters). */
  readonly secrets: readonly string[];
  /** Replaces every secret occurrence with `[REDACTED]`; returns the same string when there is none. */
  text(value: string): string;
  /**
   * Redacts every string at any depth (objects, arrays, Maps, Sets, errors, `new String(...)` wrappers), object keys included; returns the
   * same reference when nothing changed. Cycle-safe; copies keep their prototype, integrity (frozen, sealed, non-extensible), an array's holes
   * and named properties (a match result's `input`). Nothing is dropped: a redacted
   * key (object key, Map key, Set member) that would collide with another becomes `[REDACTED]#2`, `#3`... (see
   * `distinctName`). A symbol whose description holds a secret (key or value) is replaced by a fresh
   * `Symbol(<redacted description>)`, one per symbol within a call (see `redactSymbol`).
   */
  deep<T>(value: T): T;
  /**
   * An error whose message, stack, every property (`details`...), cause chain, `toJSON()` and `util.inspect`
   * output hold no secret; the same error when it held none. A copy keeps its class, so a `CodexProviderError`
   * stays one (same `code`, `retryable`, `isInstance`).
   */
  error<E>(error: E): E;
}

/**
 * The run's redactor: the public one plus the walk for what the provider builds itself. Internal: the promise
 * `built` relies on holds only for the run handle's own events.
 */
export interface RunRedactor extends SecretRedactor {
  /**
   * `deep` for a tree the provider built: arrays and object literals whose own properties are all enumerable
   * data properties with string keys, as the mapper and settle make every event (`codexMapper.ts`: values passed
   * through from the wire are copied to such data when parsed, `codexWire.ts` `jsonData`). Read by plain
   * property access, without `deep`'s per-key accessor checks; any other container (another prototype, deeper
   * than `TREE_DEPTH`) and any object with a dirty key (renaming it needs every key's name) goes to `deep`.
   * Symbol values are redacted as `deep` does; symbol keys are outside this contract (the wire copy drops them,
   * as JSON would): checking for them costs every clean object an allocation, ~0.1× of the per-event budget.
   * Returns the same reference when nothing changed; a copy shares every clean subtree.
   */
  built<T>(value: T): T;
}

/**
 * Values shorter than this are never treated as secrets. Real API keys and OAuth tokens are 20+ characters;
 * below 8 a "secret" is usually a placeholder (`x`, `none`, `true`) or a common word whose replacement would
 * shred ordinary text (`pass` in "password", `8080` in every URL). Short passwords in URLs are still removed
 * by the userinfo pattern, whatever their length.
 */
export const MIN_SECRET_LENGTH = 8;

/** What every redacted occurrence becomes. */
export const REDACTED = "[REDACTED]";

const KEY_SHAPED = /\bsk-(?:\.{3})?[A-Za-z0-9_*-]{6,}/g;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi;
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token)\s+)?)[^\s"',;]{6,}/gi;
/** `scheme://user:password@`: the password goes, whatever its length. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi;
/** Case-insensitive words the bearer and authorization patterns need; the other two patterns need literals. */
const PATTERN_WORDS = /bearer|authorization/i;
/** No pattern matches text shorter than `a://:x@`; no needle is shorter than `MIN_SECRET_LENGTH`. */
const SHORTEST_MATCH = 7;
/** Up to this length one combined regex pre-check is cheaper than a native search per literal. */
const SHORT_TEXT = 256;
/** Clean strings up to this length are remembered by the walk (one per length: a bounded, tiny cache). */
const CACHED_LENGTH = SHORT_TEXT;

/** The literal the key pattern needs; real API keys (and so their URL-encoded and JSON-escaped forms) hold it. */
const KEY_PREFIX = "sk-";

/**
 * True when `value` holds `sk-`. Searched as `k-`, whose first character is rare in ordinary text, checking the
 * character before each hit: a search for `sk-` itself starts at every `s`.
 */
function hasKeyPrefix(value: string): boolean {
  for (let at = value.indexOf("k-", 1); at !== -1; at = value.indexOf("k-", at + 2)) {
    if (value.charCodeAt(at - 1) === S_CODE) return true;
  }
  return false;
}
const S_CODE = KEY_PREFIX.charCodeAt(0);

/**
 * True when none of the patterns but the key pattern can match: they need `://` with `@`, or the word bearer or
 * authorization. With `hasKeyPrefix` false, no pattern can.
 */
function otherPatternsFree(value: string): boolean {
  if (value.indexOf("@") !== -1 && value.includes("://")) return false;
  return !PATTERN_WORDS.test(value);
}

/** Characters by how common they are in prose, code and logs, most common first; any other is rarer still. */
const COMMON = " etaoinsrhldcum\n0.1/2pf-_g:3y=,w5b4\"9678()v'k<>;xT[]{}SEAIRCNOjLPDMqHFBzUGW*KVYXJZQ";
/** Probe tails at least this long when the needle allows: V8 skips through longer patterns faster. */
const LONG_TAIL = 16;

/**
 * The tail of a needle from its rarest character on: a needle is in a text only if its tail is, and V8 finds a
 * pattern by scanning for its first character, so a rare first character makes the usual miss a fast scan.
 */
function rareTail(needle: string): string {
  const last = needle.length - Math.min(LONG_TAIL, needle.length);
  let best = 0;
  let bestRank = -1;
  for (let at = 0; at <= last; at++) {
    const index = COMMON.indexOf(needle[at] as string);
    const rank = index === -1 ? COMMON.length : index;
    if (rank > bestRank) {
      best = at;
      bestRank = rank;
    }
  }
  return needle.slice(best);
}

/** A literal as a regular-expression source. */
function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The secret itself plus its cheap encodings: URL-encoded, JSON-escaped and base64 (padded and not). */
function variants(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const base64 = Buffer.from(secret, "utf8").toString("base64");
  return [secret, encodeURIComponent(secret), json, base64, base64.replace(/=+$/, "")];
}

/** Builds a redactor for a fixed set of secrets: dedupes, drops short values, and precomputes the pre-check. */
export function createSecretRedactor(secrets: Iterable<string | undefined>): SecretRedactor {
  const { secrets: kept, text, deep, error } = createRunRedactor(secrets);
  return { secrets: kept, text, deep, error };
}

/** `createSecretRedactor` plus the run handle's walk of its own events (`RunRedactor.built`). */
export function createRunRedactor(secrets: Iterable<string | undefined>): RunRedactor {
  const kept = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret === "string" && secret.length >= MIN_SECRET_LENGTH) kept.add(secret);
  }
  const needles = [...new Set([...kept].flatMap(variants))].filter(
    (needle) => needle.length >= MIN_SECRET_LENGTH,
  );
  // The pre-check only needs the needles that contain no other needle (padded base64 contains the unpadded form).
  const probes = needles.filter(
    (needle) => !needles.some((other) => other !== needle && needle.includes(other)),
  );
  // A needle holding `sk-` needs no probe of its own: text without `sk-` cannot hold it, and text with it takes
  // the full path anyway (the key pattern).
  const probed = probes.filter((needle) => !needle.includes(KEY_PREFIX));
  const tails = probed.map(rareTail);
  const shortest = Math.min(SHORTEST_MATCH, ...needles.map((needle) => needle.length));
  // Short text: one regex call decides (each native search has a fixed cost that dominates on short text). It
  // matches a superset of what the probes below find (case-insensitive), so a miss is a sound "clean".
  const anyTrigger = new RegExp(
    ["k-", "@", "bearer", "authorization", ...tails].map(escapeRegExp).join("|"),
    "i",
  );
  /** True when `text` would return the value unchanged; the hot path: a few native scans, no allocation. */
  const isClean = (value: string): boolean => {
    if (value.length < shortest) return true;
    if (value.length <= SHORT_TEXT && !anyTrigger.test(value)) return true;
    if (hasKeyPrefix(value)) return false;
    for (let index = 0; index < tails.length; index++) {
      if (value.includes(tails[index] as string) && value.includes(probed[index] as string)) return false;
    }
    return otherPatternsFree(value);
  };
  /** `text` for a value `isClean` rejected. */
  const longest = Math.max(0, ...needles.map((needle) => needle.length));
  /** Positions of the `[REDACTED]`s the last `replaceNeedles` inserted (one array per redactor, reused). */
  const inserted: number[] = [];
  /** True when a needle overlaps one of the `inserted` markers of `value`. */
  const needleAtMarker = (value: string): boolean => {
    for (const at of inserted) {
      const around = value.slice(Math.max(0, at - longest + 1), at + REDACTED.length + longest - 1);
      if (needles.some((needle) => around.includes(needle))) return true;
    }
    return false;
  };
  /** `text` for a value `isClean` rejected. */
  const redactText = (value: string): string => {
    let out = value;
    // A replacement can complete a secret with the text around it ("[REDACTED]" + suffix): repeat to a fixed
    // point. Every occurrence of the text before a round lies inside a replaced span, so one the round creates
    // overlaps a marker it inserted: only the markers' surroundings need a second look.
    for (let round = 0; round < 8; round++) {
      inserted.length = 0;
      const next = replaceNeedles(out, needles, inserted);
      if (next === out) break;
      out = next;
      if (!needleAtMarker(out)) break;
    }
    // Each pattern runs only where its literal is (a regex pass costs far more than a literal probe).
    if (hasKeyPrefix(out)) out = out.replace(KEY_SHAPED, REDACTED);
    if (PATTERN_WORDS.test(out)) {
      out = out.replace(BEARER, `$1${REDACTED}`).replace(AUTH_HEADER, `$1${REDACTED}`);
    }
    if (out.indexOf("@") !== -1 && out.includes("://")) out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
    return out;
  };
  const text = (value: string): string => (isClean(value) ? value : redactText(value));
  const separator = collisionSeparator(needles);
  /**
   * `name`, or when `taken` holds it `name#2`, `name#3`...: the first free one that holds no needle. `counts`
   * remembers, per name, the number the last search ended at: numbers below it are taken already (names are only
   * ever added to `taken`), so n names that collide cost O(n) candidates in all, not O(n²).
   */
  const distinctName = (name: string, taken: ReadonlySet<string>, counts: Map<string, number>): string => {
    if (!taken.has(name)) return name;
    // No needle holds the separator, so a needle the suffix adds lies in its digits: only numbers of 8+ digits
    // can be skipped for that, so the search ends within `taken.size` + 1 numbers.
    for (let count = counts.get(name) ?? 2; ; count++) {
      const digits = String(count);
      const candidate = `${name}${separator}${digits}`;
      if (!taken.has(candidate) && !needles.some((needle) => digits.includes(needle))) {
        counts.set(name, count + 1);
        return candidate;
      }
    }
  };
  const { deep, built } = createWalker(isClean, redactText, distinctName);
  return {
    secrets: Object.freeze([...kept]),
    text,
    deep,
    error: deep,
    built,
  };
}

/** Separators tried for colliding redacted names, in order; `#` unless a secret holds it. */
const SEPARATORS = "#~§¤";

/**
 * The first separator no needle holds: a needle then cannot straddle a name and its collision suffix. Past the
 * listed ones, the first code point from U+2460 (circled digits) on that no needle holds: the needles are finite.
 */
function collisionSeparator(needles: readonly string[]): string {
  const free = (char: string) => !needles.some((needle) => needle.includes(char));
  for (const char of SEPARATORS) if (free(char)) return char;
  for (let code = 0x2460; ; code++) {
    const char = String.fromCodePoint(code);
    if (free(char)) return char;
  }
}

/**
 * Replaces the union of all needle occurrences (overlapping and touching ones merged into one span), so no
 * fragment of an overlapped secret survives; `value` itself when there is none. Pushes to `inserted` where
 * each `[REDACTED]` starts in the result.
 */
function replaceNeedles(value: string, needles: readonly string[], inserted: number[]): string {
  const spans: [number, number][] = [];
  for (const needle of needles) {
    for (let at = value.indexOf(needle); at >= 0; at = value.indexOf(needle, at + 1)) {
      spans.push([at, at + needle.length]);
    }
  }
  if (spans.length === 0) return value;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let cursor = 0;
  let [start, end] = spans[0] as [number, number];
  const close = () => {
    out += value.slice(cursor, start);
    inserted.push(out.length);
    out += REDACTED;
    cursor = end;
  };
  for (let index = 1; index < spans.length; index++) {
    const [from, to] = spans[index] as [number, number];
    if (from <= end) {
      end = Math.max(end, to);
      continue;
    }
    close();
    start = from;
    end = to;
  }
  close();
  return out + value.slice(cursor);
}

type Container = object;

/** Outcome of the clean-path scan of plain data. */
type Scan = 0 | 1 | 2;
const CLEAN: Scan = 0;
const DIRTY: Scan = 1;
const OTHER: Scan = 2;
/**
 * Plain data nested deeper than this goes to the general, cycle-safe scan; so does a `built` tree's (what the
 * wire parser copies to JSON data, it copies at least this deep).
 */
export const TREE_DEPTH = 64;
/** Clean object keys each redactor remembers. */
const CLEAN_KEYS = 1024;
/** Containers the clean-path scan visits before it hands over (shared subtrees are visited once per path). */
const TREE_NODES = 4096;

/** `Object.prototype.__lookupGetter__`: finds an accessor without allocating a property descriptor. */
const lookupGetter = Reflect.get(Object.prototype, "__lookupGetter__") as (
  this: object,
  key: PropertyKey,
) => (() => unknown) | undefined;

const ownNames = Object.getOwnPropertyNames;
const ownSymbols = Object.getOwnPropertySymbols;

/** Objects whose content is opaque or not text: passed through untouched. */
function isOpaque(value: object): boolean {
  return (
    typeof value === "function" ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Promise ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

/**
 * The primitive inside a String or Symbol wrapper object (`new String(text)`, `Object(symbol)`): text that
 * `JSON.stringify`, `String()` and `util.inspect` show, though no own property holds it whole.
 */
function boxedPrimitive(value: object): string | symbol | undefined {
  try {
    if (value instanceof String) return String.prototype.valueOf.call(value);
    if (value instanceof Symbol) return Symbol.prototype.valueOf.call(value);
  } catch {
    // `String.prototype` in the chain of an object that is no wrapper: nothing boxed.
  }
  return undefined;
}

/** The own properties of an object as [key, value] pairs; an error's accessors (V8's `stack`) are read. */
function* ownEntries(value: object): Generator<[PropertyKey, unknown, PropertyDescriptor]> {
  const isError = value instanceof Error;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    if ("value" in descriptor) yield [key, descriptor.value, descriptor];
    else if (isError && descriptor.get) yield [key, Reflect.get(value, key), descriptor];
  }
}

/**
 * True when an array is its elements only: every index present, no named or symbol property. Keys come indices
 * first, then `length`, then the rest, so that is every index and `length` last. One key list: O(length).
 */
function isPlainArray(array: readonly unknown[]): boolean {
  const keys = Reflect.ownKeys(array);
  return keys.length === array.length + 1 && keys[array.length] === "length";
}

/** Direct children of a container, for the dirtiness scan. */
function* children(value: Container): Generator<unknown> {
  if (value instanceof Map) {
    for (const [key, entry] of value) {
      yield key;
      yield entry;
    }
  } else if (value instanceof Set) {
    yield* value;
  }
  // An array's elements are its index properties: its other properties too (`util.inspect` shows them).
  for (const [, child] of ownEntries(value)) yield child;
}

/** The well-known symbols (`Symbol.iterator`...): protocol keys, never a caller's text; always kept as they are. */
const WELL_KNOWN_SYMBOLS: ReadonlySet<symbol> = new Set(
  ownNames(Symbol)
    .map((name): unknown => Reflect.get(Symbol, name))
    .filter((value): value is symbol => typeof value === "symbol"),
);
/**
 * The registry prefix of this package's own markers (`Symbol.for("@alphred/agents.CodexProviderError")`): protocol
 * keys like the well-known ones, kept so `isInstance` holds even when a secret is part of a class name.
 */
const OWN_MARKER_PREFIX = "@alphred/agents.";

/** True for a symbol the redactor never replaces, whatever its description: a well-known one or our marker. */
function isProtocolSymbol(value: symbol): boolean {
  return WELL_KNOWN_SYMBOLS.has(value) || Symbol.keyFor(value)?.startsWith(OWN_MARKER_PREFIX) === true;
}

/**
 * A scan that stops at the first string the redactor would change (the clean path: a recursion over plain data
 * that allocates nothing but key lists, or for anything else a cycle-safe scan with a visited set), then, only
 * if something is dirty, a copy of exactly the objects from which a dirty string is reachable (reverse-edge
 * propagation makes this right on cycles).
 */
function createWalker(
  isClean: (value: string) => boolean,
  redactText: (value: string) => string,
  distinctName: (name: string, taken: ReadonlySet<string>, counts: Map<string, number>) => string,
): { deep: <T>(value: T) => T; built: <T>(value: T) => T } {
  // Strings are immutable and the secrets fixed, so a string instance found clean stays clean: an event holds
  // the same instance twice (a command's output is its `content` and its `metadata.output`), scanned once.
  // Likewise the last string that changed and its redaction: one `text` per instance, one copy per instance.
  // Short text repeats across events (event types, phases, statuses, ids, stock messages): the last clean string
  // of each length up to `CACHED_LENGTH` is kept, so a repeat costs one comparison instead of a regex call.
  let lastClean = "";
  const cleanByLength: string[] = new Array<string>(CACHED_LENGTH + 1).fill("");
  let lastDirty = "";
  let lastRedacted = "";
  const redact = (value: string): string => {
    const length = value.length;
    if (length <= CACHED_LENGTH ? value === cleanByLength[length] : value === lastClean) return value;
    if (value === lastDirty) return lastRedacted;
    const out = isClean(value) ? value : redactText(value);
    if (out === value) {
      if (length <= CACHED_LENGTH) cleanByLength[length] = value;
      else lastClean = value;
    } else {
      lastDirty = value;
      lastRedacted = out;
    }
    return out;
  };
  const isDirtyString = (value: unknown): value is string =>
    typeof value === "string" && redact(value) !== value;
  // Keys come from a small vocabulary (event fields, tool argument names): clean ones are remembered in a
  // bounded set, so a key costs one lookup instead of a scan.
  const cleanKeys = new Set<string>();
  const isDirtyKey = (key: unknown): key is string => {
    if (typeof key !== "string" || cleanKeys.has(key)) return false;
    if (redact(key) !== key) return true;
    if (cleanKeys.size < CLEAN_KEYS) cleanKeys.add(key);
    return false;
  };
  // A symbol's description is text too: `String(symbol)` and `util.inspect` show it, as a value and as a key.
  /** Replacements made by the current call (`deep`, `built`, `error`), created on first need. */
  let symbolCopies: Map<symbol, symbol> | undefined;
  const isDirtySymbol = (value: symbol): boolean => {
    const description = value.description;
    return description !== undefined && redact(description) !== description && !isProtocolSymbol(value);
  };
  /**
   * A symbol whose description holds a secret becomes a fresh `Symbol(<redacted description>)`, the same one for
   * the rest of the call, so identity inside the copy is kept (a symbol used as a key and held as a value). Any
   * other symbol stays itself. A registered one (`Symbol.for`) also gets an unregistered copy: registering the
   * redacted description would make unrelated symbols one (colliding as keys) and hand them to any code that
   * asks the registry for `[REDACTED]`.
   */
  const redactSymbol = (value: symbol): symbol => {
    if (!isDirtySymbol(value)) return value;
    symbolCopies ??= new Map();
    let copy = symbolCopies.get(value);
    if (copy === undefined) {
      copy = Symbol(redact(value.description as string));
      symbolCopies.set(value, copy);
    }
    return copy;
  };
  /** True when a leaf, a string or a symbol, would change. */
  const isDirtyLeaf = (value: unknown): boolean =>
    typeof value === "string" ? redact(value) !== value : typeof value === "symbol" && isDirtySymbol(value);
  /** True when a property key, a string or a symbol, would change. */
  const isDirtyProperty = (key: PropertyKey): boolean =>
    typeof key === "symbol" ? isDirtySymbol(key) : isDirtyKey(key);
  /**
   * Names for the strings of one container that must stay distinct (object keys, Map keys, Set members): a clean
   * one is kept, a dirty one redacted and, when that name is taken by a clean one or an earlier dirty one,
   * suffixed (`distinctName`: `[REDACTED]#2`...). Called once per dirty string, in the container's order.
   */
  const namer = (items: Iterable<unknown>): ((key: string) => string) => {
    let taken: Set<string> | undefined;
    const counts = new Map<string, number>();
    return (key) => {
      const name = redact(key);
      if (name === key) return key;
      if (taken === undefined) {
        taken = new Set();
        for (const item of items) if (typeof item === "string" && redact(item) === item) taken.add(item);
      }
      const free = distinctName(name, taken, counts);
      taken.add(free);
      return free;
    };
  };
  const isContainer = (value: unknown): value is Container =>
    typeof value === "object" && value !== null && !isOpaque(value);

  /**
   * The clean-path scan of plain data (arrays and objects of `Object.prototype` or none), which is what events
   * are: recursion instead of a visited set, so a clean event allocates nothing but its key lists. Anything
   * else, a tree deeper than `TREE_DEPTH` (a cycle is infinitely deep) or larger than `TREE_NODES` (shared
   * subtrees) answers `OTHER` and the general scan below decides.
   */
  let budget = 0;
  function treeScan(node: unknown, depth: number): Scan {
    if (typeof node === "string") return isDirtyString(node) ? DIRTY : CLEAN;
    if (typeof node !== "object" || node === null) {
      return typeof node === "symbol" && isDirtySymbol(node) ? DIRTY : CLEAN;
    }
    if (depth > TREE_DEPTH || --budget < 0) return OTHER;
    if (Array.isArray(node)) {
      // Named or symbol properties, or holes: the general scan.
      if (!isPlainArray(node)) return OTHER;
      for (let index = 0; index < node.length; index++) {
        const found = treeScan(node[index], depth + 1);
        if (found !== CLEAN) return found;
      }
      return CLEAN;
    }
    const proto = Reflect.getPrototypeOf(node);
    if (proto !== Object.prototype && proto !== null) return OTHER;
    // Names and symbols apart: both are cheaper than `Reflect.ownKeys`, and symbol keys are rare enough to
    // leave to the general scan.
    if (ownSymbols(node).length > 0) return OTHER;
    const keys = ownNames(node);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      // A key is text a caller sees too (MCP arguments, structured content).
      if (isDirtyKey(key)) return DIRTY;
      // Accessors of plain objects are never invoked (the general scan skips them too).
      if (lookupGetter.call(node, key) !== undefined) continue;
      const found = treeScan((node as Record<string, unknown>)[key], depth + 1);
      if (found !== CLEAN) return found;
    }
    return CLEAN;
  }

  /** The clean-path scan: plain loops, no generators or entry tuples, so a clean event allocates almost nothing. */
  function anyDirty(root: unknown): boolean {
    if (typeof root === "string") return isDirtyString(root);
    if (!isContainer(root)) return false;
    const seen = new Set<Container>([root]);
    const stack: Container[] = [root];
    /** True when `child` is a dirty string or symbol; queues an unseen container. */
    const visit = (child: unknown): boolean => {
      if (typeof child === "string") return isDirtyString(child);
      if (typeof child === "symbol") return isDirtySymbol(child);
      if (isContainer(child) && !seen.has(child)) {
        seen.add(child);
        stack.push(child);
      }
      return false;
    };
    while (stack.length > 0) {
      const node = stack.pop() as Container;
      if (Array.isArray(node) && isPlainArray(node)) {
        for (let index = 0; index < node.length; index++) if (visit(node[index])) return true;
        continue;
      }
      if (isDirtyLeaf(boxedPrimitive(node))) return true;
      if (node instanceof Map) {
        for (const [key, entry] of node) if (visit(key) || visit(entry)) return true;
      } else if (node instanceof Set) {
        for (const entry of node) if (visit(entry)) return true;
      }
      const isError = node instanceof Error;
      const keys = Reflect.ownKeys(node);
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index] as PropertyKey;
        // An array's index keys are clean; its named keys are text like any object's.
        if (isDirtyProperty(key)) return true;
        // A data property is read directly; an accessor only on errors (V8's `stack`), never invoked elsewhere.
        if (lookupGetter.call(node, key) === undefined) {
          if (visit((node as Record<PropertyKey, unknown>)[key])) return true;
        } else if (isError && visit(Reflect.get(node, key))) return true;
      }
    }
    return false;
  }

  /** What `copy` needs: the containers to copy, and which arrays are their elements only. */
  interface Plan {
    /** Every container from which a dirty string or symbol is reachable. */
    dirty: Set<Container>;
    /** The arrays among them that `isPlainArray` accepted: copied element by element. */
    plainArrays: Set<Container>;
  }

  function planCopy(root: Container): Plan {
    const parents = new Map<Container, Container[]>([[root, []]]);
    const dirty = new Set<Container>();
    const plainArrays = new Set<Container>();
    const stack: Container[] = [root];
    while (stack.length > 0) {
      const node = stack.pop() as Container;
      const plain = Array.isArray(node) && isPlainArray(node);
      if (plain) plainArrays.add(node);
      else if (Reflect.ownKeys(node).some(isDirtyProperty) || isDirtyLeaf(boxedPrimitive(node)))
        dirty.add(node);
      for (const child of plain ? (node as unknown[]) : children(node)) {
        if (isDirtyLeaf(child)) dirty.add(node);
        else if (isContainer(child)) {
          const known = parents.get(child);
          if (known) known.push(node);
          else {
            parents.set(child, [node]);
            stack.push(child);
          }
        }
      }
    }
    const queue = [...dirty];
    while (queue.length > 0) {
      for (const parent of parents.get(queue.pop() as Container) ?? []) {
        if (!dirty.has(parent)) {
          dirty.add(parent);
          queue.push(parent);
        }
      }
    }
    return { dirty, plainArrays };
  }

  function copy(value: unknown, plan: Plan, copies: Map<Container, Container>): unknown {
    if (typeof value === "string") return redact(value);
    if (typeof value === "symbol") return redactSymbol(value);
    if (!isContainer(value) || !plan.dirty.has(value)) return value;
    const done = copies.get(value);
    if (done) return done;
    const proto = Reflect.getPrototypeOf(value);
    const next = (child: unknown) => copy(child, plan, copies);
    let out: Container;
    /** Keys the copy has of its own already: a String wrapper's index properties and `length`. */
    let intrinsic = (_key: PropertyKey): boolean => false;
    if (plan.plainArrays.has(value)) {
      const array: unknown[] = [];
      copies.set(value, array);
      for (let index = 0; index < (value as unknown[]).length; index++) {
        array.push(next((value as unknown[])[index]));
      }
      Reflect.setPrototypeOf(array, proto);
      return freezeLike(value, array);
    }
    if (Array.isArray(value)) {
      // Elements are index properties, copied below with the rest: holes stay holes, named properties stay.
      out = new Array<unknown>(value.length);
    } else if (value instanceof Map) {
      const map = new Map();
      copies.set(value, map);
      const name = namer(value.keys());
      for (const [key, entry] of value) map.set(typeof key === "string" ? name(key) : next(key), next(entry));
      out = map;
    } else if (value instanceof Set) {
      const set = new Set();
      copies.set(value, set);
      const name = namer(value);
      for (const entry of value) set.add(typeof entry === "string" ? name(entry) : next(entry));
      out = set;
    } else {
      const boxed = boxedPrimitive(value);
      if (boxed === undefined) out = Object.create(proto) as Container;
      else {
        out = Object(typeof boxed === "string" ? redact(boxed) : redactSymbol(boxed)) as Container;
        if (typeof boxed === "string") {
          // The original text's characters are its index properties: none of them is copied.
          intrinsic = (key) =>
            key === "length" ||
            (typeof key === "string" && /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < boxed.length);
        }
      }
    }
    if (!copies.has(value)) copies.set(value, out);
    Reflect.setPrototypeOf(out, proto);
    // Every key's name first, in key order: a dirty one must not take a name a later clean key keeps.
    const keys = Reflect.ownKeys(value);
    const name = namer(keys);
    const names = new Map<PropertyKey, PropertyKey>();
    for (const key of keys) names.set(key, typeof key === "string" ? name(key) : redactSymbol(key));
    const handled = new Set<PropertyKey>();
    for (const [key, child, descriptor] of ownEntries(value)) {
      handled.add(key);
      if (intrinsic(key)) continue;
      Reflect.defineProperty(out, names.get(key) as PropertyKey, {
        value: next(child),
        writable: descriptor.writable ?? true,
        enumerable: descriptor.enumerable ?? false,
        configurable: descriptor.configurable ?? true,
      });
    }
    // Accessors of non-errors are kept as they are (invoking getters could have side effects).
    for (const key of Reflect.ownKeys(value)) {
      if (handled.has(key) || intrinsic(key)) continue;
      Reflect.defineProperty(
        out,
        names.get(key) as PropertyKey,
        Reflect.getOwnPropertyDescriptor(value, key) as PropertyDescriptor,
      );
    }
    return freezeLike(value, out);
  }

  /** `deep` within a call: `built` hands containers to it, sharing the call's symbol copies. */
  const deepWalk = <T>(value: T): T => {
    if (typeof value === "string") return redact(value) as T;
    if (typeof value === "symbol") return redactSymbol(value) as T;
    budget = TREE_NODES;
    const found = treeScan(value, 0);
    if (found === CLEAN || (found === OTHER && !anyDirty(value))) return value;
    return copy(value, planCopy(value as Container), new Map()) as T;
  };

  /**
   * `RunRedactor.built`: one pass that scans and copies on write. `for...in` reads an object literal's
   * properties through V8's enum cache, allocating nothing; it also visits inherited enumerable properties
   * (none, unless `Object.prototype` was polluted), which only scans more.
   */
  function builtTree(node: unknown, depth: number): unknown {
    if (typeof node === "string") return redact(node);
    if (typeof node !== "object" || node === null) {
      return typeof node === "symbol" ? redactSymbol(node) : node;
    }
    const proto = Reflect.getPrototypeOf(node);
    if (depth > TREE_DEPTH) return deepWalk(node);
    if (proto === Array.prototype) {
      const array = node as unknown[];
      let out: unknown[] | undefined;
      for (let index = 0; index < array.length; index++) {
        const child = array[index];
        const next = builtTree(child, depth + 1);
        if (next !== child) {
          out ??= array.slice();
          out[index] = next;
        }
      }
      return out === undefined ? node : freezeLike(node, out);
    }
    if (proto !== Object.prototype) return deepWalk(node);
    const record = node as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key in record) {
      // A dirty key is rare: renaming needs every key's name (collisions), which deep's copy computes.
      if (isDirtyKey(key)) return deepWalk(node);
      const child = record[key];
      const next = builtTree(child, depth + 1);
      if (next !== child) {
        // An inherited key (a polluted `Object.prototype`) is no property of the event: never made an own one.
        if (!Object.hasOwn(record, key)) continue;
        out ??= { ...record };
        out[key] = next;
      }
    }
    return out === undefined ? node : freezeLike(node, out);
  }

  // Each call starts with no symbol copies: a symbol maps to one replacement within a call.
  return {
    deep: <T>(value: T): T => {
      symbolCopies = undefined;
      return deepWalk(value);
    },
    built: <T>(value: T): T => {
      symbolCopies = undefined;
      return builtTree(value, 0) as T;
    },
  };
}

/**
 * `copy`, frozen, sealed or non-extensible when `original` was: a redacted copy keeps the shape guarantees of what
 * it replaces.
 */
function freezeLike<T extends object>(original: object, copy: T): T {
  if (Object.isExtensible(original)) return copy;
  if (Object.isFrozen(original)) return Object.freeze(copy);
  return Object.isSealed(original) ? Object.seal(copy) : Object.preventExtensions(copy);
}
