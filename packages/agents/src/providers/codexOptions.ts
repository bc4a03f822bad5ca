import path from "node:path";
import { z } from "zod";
import type { CodexApprovalHandler } from "./appServer/approvals.js";
import type { CodexBootstrapper } from "./codexBootstrap.js";
import { type CodexErrorCode, CodexProviderError } from "./codexError.js";
import type { CodexClientFactory, CodexTurnInput } from "./codexIo.js";
import { type JsonSchema, type OutputSchema, toStrictJsonSchema } from "./codexOutputSchema.js";
import {
  APPROVAL_POLICIES,
  EXEC_APPROVAL_POLICIES,
  mcpServersSchema,
  REASONING_EFFORTS,
  SANDBOX_MODES,
  WEB_SEARCH_MODES,
} from "./codexSessionSettings.js";

/** Largest timeout `setTimeout` accepts: 2^31 - 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Model used when neither the run nor `CODEX_MODEL` names one. */
export const DEFAULT_CODEX_MODEL = "gpt-5-codex";

/** Longest turn input codex 0.163 accepts, in characters (prompt plus `context`, joined by blank lines). */
export const MAX_INPUT_CHARS = 1_048_576;

/**
 * Longest single command-line argument Linux accepts (`MAX_ARG_STRLEN`, 128 KiB, with its NUL). On the `exec`
 * transport the SDK passes `systemPrompt` and every `config` leaf as one `--config key=value` argument, so each must
 * fit; the `app-server` transport sends them as JSON on stdin and has no such limit.
 */
export const MAX_ARG_BYTES = 131_071;

/**
 * Longest `systemPrompt` on the `app-server` transport, in characters (UTF-16 code units, as `String.length`
 * counts): the prompt's own bound (`MAX_INPUT_CHARS`). The exec transport's is the tighter `MAX_ARG_BYTES`.
 */
export const MAX_SYSTEM_PROMPT_CHARS = MAX_INPUT_CHARS;

/** How a provider runs turns: `exec` (one `codex exec` per turn, through the SDK) or `app-server` (a warm process). */
export type CodexTransport = "exec" | "app-server";

/** The transports, the default first. */
const CODEX_TRANSPORTS = ["exec", "app-server"] as const satisfies readonly CodexTransport[];

/** Deepest nesting of `config` objects and arrays accepted. */
export const MAX_CONFIG_DEPTH = 32;

/** Bytes one `--config key=value` argument takes on the command line, as the SDK writes it (see `tomlValue`). */
export function configArgBytes(key: string, value: unknown): number {
  return Buffer.byteLength(`${key}=${tomlValue(value)}`, "utf8");
}

/**
 * A config value as `@openai/codex-sdk` 0.163 writes it after `key=`: strings JSON-quoted, arrays and inline
 * tables with `", "` between entries (one byte more than JSON per separator), bare keys unquoted.
 */
function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const parts: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      parts.push(`${/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)} = ${tomlValue(child)}`);
    }
    return `{${parts.join(", ")}}`;
  }
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** What a thread id may contain (codex uses UUIDs); also keeps it safe as part of a file name. */
const THREAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Most images one turn accepts. */
export const MAX_IMAGES = 32;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

/** A list of non-blank paths, made absolute; `noun` names the entries in the messages ("file paths", "paths"). */
const absolutePaths = (name: string, noun: string) =>
  z.array(
    z
      .string({ error: `${name} entries must be ${noun}` })
      .refine((value) => value.trim().length > 0, `${name} entries must be non-empty ${noun}`)
      .transform((value) => path.resolve(value)),
    { error: `${name} must be an array of ${noun}` },
  );

const milliseconds = (name: string) =>
  z
    .number({ error: `${name} must be a number of milliseconds` })
    .int(`${name} must be a whole number of milliseconds`)
    .positive(`${name} must be a positive number of milliseconds`)
    .max(MAX_TIMEOUT_MS, `${name} must be at most ${MAX_TIMEOUT_MS} ms`);

/** A lone UTF-16 surrogate (one not part of a pair). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `systemPrompt` as `transport` delivers it: trimmed, empty means none, a lone surrogate as U+FFFD (the prompt's
 * UTF-8 on stdin makes it so; the SDK's argv quoting would hand codex the six characters `\udc00`). `exec` puts it
 * on argv as one `--config developer_instructions=<JSON>` argument, so its quoted form must fit `MAX_ARG_BYTES`;
 * `app-server` sends it as JSON-RPC on stdin, bounded like the prompt by `MAX_SYSTEM_PROMPT_CHARS`.
 */
const systemPromptSchema = (transport: CodexTransport) =>
  z
    .string({ error: "systemPrompt must be a string" })
    .optional()
    .transform((value) => {
      const trimmed = value?.trim();
      return trimmed ? trimmed.replace(LONE_SURROGATE, "\uFFFD") : undefined;
    })
    .refine(
      transport === "exec"
        ? (value) => value === undefined || configArgBytes("developer_instructions", value) <= MAX_ARG_BYTES
        : (value) => value === undefined || value.length <= MAX_SYSTEM_PROMPT_CHARS,
      transport === "exec"
        ? `systemPrompt must fit one ${MAX_ARG_BYTES}-byte command-line argument once quoted (about 128 KiB) with transport "exec"; transport "app-server" accepts up to ${MAX_SYSTEM_PROMPT_CHARS} characters`
        : `systemPrompt must be at most ${MAX_SYSTEM_PROMPT_CHARS} characters`,
    );

/**
 * Schema of the options of one `CodexProvider.run` call; unknown keys are rejected. Its `systemPrompt` limit is the
 * default transport's (`exec`); a provider with `transport: "app-server"` applies that transport's.
 */
export const providerRunOptionsSchema = z.strictObject({
  /** Directory the agent works in; required, non-empty; resolved to an absolute path. */
  workingDirectory: z
    .string({ error: "workingDirectory must be a non-empty string" })
    .refine((value) => value.trim().length > 0, "workingDirectory must be a non-empty string")
    .transform((value) => path.resolve(value)),
  /**
   * Extra developer instructions; trimmed, empty values ignored. At most `MAX_ARG_BYTES` once quoted on `exec`
   * (argv), `MAX_SYSTEM_PROMPT_CHARS` characters on `app-server`.
   */
  systemPrompt: systemPromptSchema("exec"),
  /** Context passages sent before the prompt. */
  context: z
    .array(z.string({ error: "context entries must be strings" }), {
      error: "context must be an array of strings",
    })
    .optional(),
  /** Deadline of the whole run in whole milliseconds; no default. */
  timeout: milliseconds("timeout").optional(),
  /** Longest silence between two codex events in whole milliseconds; no default. */
  idleTimeout: milliseconds("idleTimeout").optional(),
  /** Cancels the run from outside the loop; fails with `CODEX_ABORTED` (not retryable). */
  signal: z.instanceof(AbortSignal, { error: "signal must be an AbortSignal" }).optional(),
  /** Continues this thread (same `CODEX_HOME`) instead of starting a new one. */
  resumeThreadId: z
    .string({ error: "resumeThreadId must be a thread id string" })
    .regex(THREAD_ID, "resumeThreadId must be a thread id ([A-Za-z0-9_-], as codex reports it)")
    .optional(),
  /** Asks for a typed answer: a zod schema or a strict JSON schema; the value lands in `structuredOutput`. */
  outputSchema: z
    .custom<OutputSchema>(
      (value) => value instanceof z.ZodType || isPlainObject(value),
      "outputSchema must be a zod schema or a JSON schema object",
    )
    .optional(),
  /** Local image files attached to the turn (`local_image`); resolved to absolute paths. */
  images: absolutePaths("images", "file paths")
    .max(MAX_IMAGES, `images accepts at most ${MAX_IMAGES} files`)
    .optional(),
  /** MCP servers for this run only (stdio or streamable HTTP); tokens are handled as secrets. */
  mcpServers: mcpServersSchema.optional(),
  /** Also emit `assistant` events with `metadata.partial: true` carrying each new piece of text (app-server only). */
  partialMessages: z.boolean({ error: "partialMessages must be a boolean" }).optional(),
});

/** The run-options schema of each transport: they differ only in the `systemPrompt` limit. */
const runOptionsSchemas: Record<CodexTransport, typeof providerRunOptionsSchema> = {
  exec: providerRunOptionsSchema,
  "app-server": providerRunOptionsSchema.extend({ systemPrompt: systemPromptSchema("app-server") }),
};

/** Options of one `CodexProvider.run` call, as callers pass them. */
export type ProviderRunOptions = z.input<typeof providerRunOptionsSchema>;
/** Options of one run after validation and normalization. */
export type ResolvedRunOptions = z.output<typeof providerRunOptionsSchema>;

/** A value the Codex CLI accepts as a `--config key=value` override. */
export type CodexConfigValue = string | number | boolean | CodexConfigValue[] | CodexConfigObject;
/** A nested object of Codex CLI config overrides; flattened to dotted keys by the SDK. */
export type CodexConfigObject = { [key: string]: CodexConfigValue };

/** Schema of Codex CLI config overrides: finite numbers, strings, booleans, arrays and nested objects. */
export const codexConfigSchema: z.ZodType<CodexConfigObject, CodexConfigObject> = z.lazy(() =>
  z.record(
    z.string().regex(/^[A-Za-z0-9_.-]+$/, "config keys must be non-empty TOML keys ([A-Za-z0-9_.-])"),
    codexConfigValueSchema,
  ),
);

const codexConfigValueSchema: z.ZodType<CodexConfigValue, CodexConfigValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().refine(Number.isFinite, "config numbers must be finite"),
    z.boolean(),
    z.array(codexConfigValueSchema),
    codexConfigSchema,
  ]),
);

const quoted = (values: readonly string[]) => values.map((value) => `"${value}"`).join(", ");
const oneOf = <T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.enum(values, { error: `${name} must be one of ${quoted(values)}` });

/** Schema of the settings a `CodexProvider` is constructed with; unknown keys are rejected. */
export const codexProviderSettingsSchema = z
  .strictObject({
    /** Codex CLI `--config` overrides (MCP servers, model providers, sandbox...). */
    config: codexConfigSchema.optional(),
    /** Sandbox of the agent's commands; `workspace-write` lets it edit the working directory. */
    sandboxMode: oneOf("sandboxMode", SANDBOX_MODES).default("workspace-write"),
    /** When the agent asks for approval (`untrusted` only on `app-server`: exec refuses it); `never` by default. */
    approvalPolicy: oneOf("approvalPolicy", APPROVAL_POLICIES).default("never"),
    /** Run outside a git repository without Codex's trust check (the caller chose the directory). */
    skipGitRepoCheck: z.boolean().default(true),
    /** Reasoning effort passed to the model, when set. */
    modelReasoningEffort: oneOf("modelReasoningEffort", REASONING_EFFORTS).optional(),
    /** Model slug; wins over `CODEX_MODEL`. */
    model: z
      .string({ error: "model must be a non-empty string" })
      .trim()
      .min(1, "model must be a non-empty string")
      .optional(),
    /** Let the agent's commands reach the network in `workspace-write` (codex default: off). */
    networkAccessEnabled: z.boolean({ error: "networkAccessEnabled must be a boolean" }).optional(),
    /** Web search: `disabled`, `cached` or `live` (codex default when unset). */
    webSearchMode: oneOf("webSearchMode", WEB_SEARCH_MODES).optional(),
    /** Directories besides the working directory the agent may write (absolute after validation). */
    additionalDirectories: absolutePaths("additionalDirectories", "paths").optional(),
    /** End a run at the first retry notice that cannot succeed (4xx other than 408/409/425/429, no network). */
    failFastReconnects: z.boolean().default(true),
    /** Cap on the characters of tool output one event carries (head and tail kept, with a marker). */
    maxToolOutputChars: z.number().int().min(64).max(MAX_TIMEOUT_MS).optional(),
    /** `exec`: one `codex exec` per turn through the SDK (default). `app-server`: turns on a warm `codex app-server`. */
    transport: z.enum(CODEX_TRANSPORTS).default("exec"),
    /** Answers approval requests (app-server only); throwing or missing `approvalTimeoutMs` means `decline`. */
    onApproval: z
      .custom<CodexApprovalHandler>((value) => typeof value === "function", "onApproval must be a function")
      .optional(),
    /** Time `onApproval` has to answer before the request is declined (ms; default 60000). */
    approvalTimeoutMs: milliseconds("approvalTimeoutMs").optional(),
    /** Stop the app-server after this long without a turn in flight (ms; default 300000). */
    appServerIdleMs: milliseconds("appServerIdleMs").optional(),
    /** Let the agent's shell see the API key variables (off: they are excluded via `shell_environment_policy`). */
    inheritSecretsInShell: z.boolean().default(false),
  })
  // What each transport of the pinned binary accepts: the SDK's `ApprovalMode` includes "untrusted", which
  // `codex exec` refuses at run time since 0.150 while `codex app-server` asks `onApproval` under it.
  .superRefine(({ transport, approvalPolicy }, ctx) => {
    if (transport === "exec" && !(EXEC_APPROVAL_POLICIES as readonly string[]).includes(approvalPolicy)) {
      ctx.addIssue({
        code: "custom",
        path: ["approvalPolicy"],
        message: `approvalPolicy must be one of ${quoted(EXEC_APPROVAL_POLICIES)} with transport "exec" ("${approvalPolicy}" is refused by codex exec since 0.150; transport "app-server" accepts it)`,
      });
    }
  });

/** Settings of a `CodexProvider`, as callers pass them. */
export type CodexProviderSettings = z.input<typeof codexProviderSettingsSchema>;
/** Settings of a `CodexProvider` after validation and defaults. */
export type ResolvedProviderSettings = z.output<typeof codexProviderSettingsSchema>;

/** Schema of the environment given to a provider: every value a string (or absent). */
export const codexEnvSchema = z.record(
  z.string(),
  z.string({ error: "environment values must be strings" }).optional(),
);

const fn = <T>(name: string) =>
  z.custom<T>((value) => typeof value === "function", `${name} must be a function`);

/** The one zod → `CodexProviderError` adapter: names the offending key, keeps the `ZodError` as `cause`. */
export function zodToCodexError(error: z.ZodError, code: CodexErrorCode, what: string): CodexProviderError {
  const issue = error.issues[0];
  const issuePath = (issue?.path ?? []).map(String);
  const keys = issue?.code === "unrecognized_keys" ? issue.keys : [];
  const where = [...issuePath, ...keys.slice(0, 1)].join(".") || what;
  const reason =
    keys.length > 0
      ? `unknown option${keys.length > 1 ? "s" : ""} ${keys.map((key) => `"${key}"`).join(", ")}`
      : issue?.message;
  return new CodexProviderError({
    code,
    message: `Invalid ${what}: ${where}: ${reason ?? "invalid value"}`,
    details: {
      path: keys.length > 0 ? [...issuePath, keys[0] as string] : issuePath,
      issues: error.issues.map((entry) => ({ path: entry.path.map(String), message: entry.message })),
    },
    cause: error,
  });
}

function parseWith<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  code: CodexErrorCode,
  what: string,
): z.output<TSchema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw zodToCodexError(parsed.error, code, what);
}

function typed(code: CodexErrorCode, message: string, details: Record<string, unknown>): CodexProviderError {
  return new CodexProviderError({ code, message, details });
}

/**
 * Rejects cyclic or too deep `config` before zod walks it (zod would recurse forever), and on `exec` a leaf that
 * overflows its one `--config` argument; `app-server` sends `config` as JSON on stdin, so no argv limit applies.
 */
function checkConfigShape(config: unknown, transport: CodexTransport): void {
  const ancestors: unknown[] = [];
  const overflowsArgv = (key: string, value: unknown): boolean =>
    transport === "exec" && configArgBytes(key, value) > MAX_ARG_BYTES;
  const tooLong = (key: string) =>
    typed(
      "CODEX_INVALID_CONFIG",
      `Invalid CodexProvider settings: config.${key}: longer than one ${MAX_ARG_BYTES}-byte command-line argument with transport "exec" (transport "app-server" sends config as JSON, without this limit)`,
      { path: ["config", ...key.split(".")] },
    );
  const walk = (value: unknown, key: string, inArray: boolean): void => {
    if (typeof value !== "object" || value === null) {
      if (!inArray && overflowsArgv(key, value)) throw tooLong(key);
      return;
    }
    if (ancestors.includes(value)) {
      throw typed("CODEX_INVALID_CONFIG", `Invalid CodexProvider settings: config.${key}: cyclic reference`, {
        path: ["config", ...key.split(".")],
      });
    }
    if (ancestors.length >= MAX_CONFIG_DEPTH) {
      throw typed(
        "CODEX_INVALID_CONFIG",
        `Invalid CodexProvider settings: config nested deeper than ${MAX_CONFIG_DEPTH} levels`,
        { path: ["config"] },
      );
    }
    ancestors.push(value);
    if (Array.isArray(value)) {
      for (const entry of value) walk(entry, key, true);
      if (!inArray && overflowsArgv(key, value)) throw tooLong(key);
    } else if (isPlainObject(value)) {
      for (const [child, entry] of Object.entries(value))
        walk(entry, key ? `${key}.${child}` : child, inArray);
    }
    ancestors.pop();
  };
  walk(config, "", false);
}

/** Validates `CodexProvider` settings; throws `CODEX_INVALID_CONFIG`. */
export function parseProviderSettings(input: unknown): ResolvedProviderSettings {
  if (isPlainObject(input) && input.config !== undefined) {
    // An unknown transport fails in the schema below; until then, the default's (stricter) limits apply.
    checkConfigShape(input.config, input.transport === "app-server" ? "app-server" : "exec");
  }
  return parseWith(
    codexProviderSettingsSchema,
    input ?? {},
    "CODEX_INVALID_CONFIG",
    "CodexProvider settings",
  );
}

const SEAM_KEYS = [
  "env",
  "bootstrap",
  "createClient",
  "isDirectory",
  "now",
  "probeFile",
  "readThreadRollout",
] as const;
const seamsSchema = z.object({
  env: codexEnvSchema.optional(),
  bootstrap: fn<CodexBootstrapper>("bootstrap").optional(),
  createClient: fn<CodexClientFactory>("createClient").optional(),
  isDirectory: fn<(path: string) => boolean>("isDirectory").optional(),
  now: fn<() => number>("now").optional(),
  probeFile: fn<(path: string) => string | undefined>("probeFile").optional(),
  readThreadRollout:
    fn<(codexHome: string, threadId: string) => Promise<string | undefined>>("readThreadRollout").optional(),
});

/**
 * Splits and validates the `CodexProvider` constructor argument: `undefined` or a plain object of settings and
 * seams. Throws `CODEX_INVALID_CONFIG` naming the offending key; nothing is spawned.
 */
export function parseProviderOptions(input: unknown): {
  settings: ResolvedProviderSettings;
  seams: z.output<typeof seamsSchema>;
} {
  return readingInput("CODEX_INVALID_CONFIG", "CodexProvider settings", () => parseProviderInput(input));
}

/**
 * Runs a parse of caller input; a raw error from reading it (a getter or Proxy trap that throws, a revoked
 * Proxy) becomes the parse's typed error, so no caller input fails any other way.
 */
function readingInput<T>(code: CodexErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (CodexProviderError.isInstance(error)) throw error;
    throw typed(code, `Invalid ${what}: reading them threw (a getter or Proxy trap)`, { path: [] });
  }
}

function parseProviderInput(input: unknown): {
  settings: ResolvedProviderSettings;
  seams: z.output<typeof seamsSchema>;
} {
  if (input === undefined) return { settings: parseProviderSettings({}), seams: {} };
  if (!isPlainObject(input)) {
    throw typed(
      "CODEX_INVALID_CONFIG",
      `Invalid CodexProvider settings: expected an options object, got ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}`,
      { path: [] },
    );
  }
  const seams: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if ((SEAM_KEYS as readonly string[]).includes(key)) seams[key] = value;
    else settings[key] = value;
  }
  return {
    settings: parseProviderSettings(settings),
    seams: parseWith(seamsSchema, seams, "CODEX_INVALID_CONFIG", "CodexProvider settings"),
  };
}

/**
 * Validates and normalizes `ProviderRunOptions` for the provider's transport (it sets the `systemPrompt` limit);
 * throws `CODEX_INVALID_OPTIONS`.
 */
export function parseRunOptions(input: unknown, transport: CodexTransport = "exec"): ResolvedRunOptions {
  return readingInput("CODEX_INVALID_OPTIONS", "run options", () => {
    if (!isPlainObject(input)) {
      throw typed("CODEX_INVALID_OPTIONS", "Invalid run options: expected an object with workingDirectory", {
        path: [],
      });
    }
    return parseWith(runOptionsSchemas[transport], input, "CODEX_INVALID_OPTIONS", "run options");
  });
}

/** Builds the turn input: context passages first, then the prompt. */
export function buildTurnInput(
  prompt: string,
  options: { context?: string[] | undefined },
): { type: "text"; text: string }[] {
  const input = (options.context ?? []).map((text) => ({ type: "text" as const, text }));
  input.push({ type: "text", text: prompt });
  return input;
}

/** A validated run: the turn input, the options, and the strict JSON schema sent for `outputSchema`. */
export interface PreparedRun {
  /** Context passages, the prompt, then one `local_image` per image. */
  input: Exclude<CodexTurnInput, string>;
  /** The validated options. */
  options: ResolvedRunOptions;
  /** `outputSchema` as the strict JSON schema codex sends (`text.format`), when given. */
  outputJsonSchema?: JsonSchema;
}

/**
 * Validates a run's prompt and options together, before anything spawns: a non-empty prompt and a turn input
 * (context and prompt as the SDK joins them) of at most `MAX_INPUT_CHARS`; the options for the provider's
 * `transport`; `outputSchema` converted to a strict JSON schema. Throws `CODEX_INVALID_OPTIONS`.
 */
export function parseRunInput(
  prompt: unknown,
  options: unknown,
  transport: CodexTransport = "exec",
): PreparedRun {
  if (typeof prompt !== "string" || prompt.trim().length === 0) {
    throw typed("CODEX_INVALID_OPTIONS", "Invalid prompt: run(prompt) needs a non-empty string", {
      path: ["prompt"],
    });
  }
  const resolved = parseRunOptions(options, transport);
  const input = buildTurnInput(prompt, resolved);
  let length = (input.length - 1) * 2;
  for (const part of input) length += part.text.length;
  if (length > MAX_INPUT_CHARS) {
    throw typed(
      "CODEX_INVALID_OPTIONS",
      `Invalid prompt: prompt and context total ${length} characters; codex accepts at most ${MAX_INPUT_CHARS}`,
      { path: ["prompt"], inputChars: length, maxInputChars: MAX_INPUT_CHARS },
    );
  }
  const turnInput: Exclude<CodexTurnInput, string> = input;
  for (const image of resolved.images ?? []) turnInput.push({ type: "local_image", path: image });
  return resolved.outputSchema === undefined
    ? { input: turnInput, options: resolved }
    : { input: turnInput, options: resolved, outputJsonSchema: toStrictJsonSchema(resolved.outputSchema) };
}
