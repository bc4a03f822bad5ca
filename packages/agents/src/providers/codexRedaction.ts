import { CodexProviderError } from "./codexError.js";

/** Removes a run's secrets from everything the run handle yields and throws. */
export interface SecretRedactor {
  /** The secret values, longest first. */
  readonly secrets: readonly string[];
  /** Replaces every secret occurrence with `[REDACTED]`. */
  text(value: string): string;
  /** Redacts every string at any depth; the same reference when nothing changed; cycle-safe. */
  deep<T>(value: T): T;
  /** An equivalent error whose message, stack, details and cause chain hold no secret. */
  error<E>(error: E): E;
}

const MASK = "[REDACTED]";
const MIN_SECRET_LENGTH = 8;

/** Builds a redactor for the given secrets (blank and short values are ignored). */
export function createSecretRedactor(secrets: Iterable<string | undefined>): SecretRedactor {
  const unique = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string") continue;
    for (const value of [secret, secret.trim()]) if (value.length >= MIN_SECRET_LENGTH) unique.add(value);
  }
  const list = [...unique].sort((a, b) => b.length - a.length);

  const text = (value: string): string => {
    let out = value;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };

  const deepValue = (value: unknown, seen: Map<object, unknown>): unknown => {
    if (typeof value === "string") return text(value);
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value)) return seen.get(value);
    seen.set(value, value);
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const next = deepValue(value[index], seen);
        if (next !== value[index]) {
          copy ??= value.slice();
          copy[index] = next;
        }
      }
      if (copy) seen.set(value, copy);
      return copy ?? value;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
      return value;
    }
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const current = (value as Record<string, unknown>)[key];
      const next = deepValue(current, seen);
      if (next !== current) {
        copy ??= { ...(value as Record<string, unknown>) };
        copy[key] = next;
      }
    }
    if (copy) seen.set(value, copy);
    return copy ?? value;
  };

  const errorValue = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return text(value);
    if (!(value instanceof Error) || depth > 8) return deepValue(value, new Map());
    const cause = errorValue(value.cause, depth + 1);
    const message = text(value.message);
    const stack = value.stack === undefined ? undefined : text(value.stack);
    const provider = CodexProviderError.isInstance(value);
    const details = provider ? deepValue(value.details, new Map()) : undefined;
    if (
      list.length === 0 ||
      (message === value.message &&
        stack === value.stack &&
        cause === value.cause &&
        (!provider || details === value.details))
    ) {
      return value;
    }
    const copy = provider
      ? new CodexProviderError({
          code: value.code,
          message,
          retryable: value.retryable,
          details: details as CodexProviderError["details"],
          ...(cause === undefined ? {} : { cause }),
        })
      : Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { name: value.name });
    if (stack !== undefined) copy.stack = stack;
    return copy;
  };

  return {
    secrets: list,
    text: list.length === 0 ? (value) => value : text,
    deep: <T>(value: T): T => (list.length === 0 ? value : (deepValue(value, new Map()) as T)),
    error: <E>(error: E): E => errorValue(error, 0) as E,
  };
}
