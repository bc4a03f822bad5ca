import { z } from "zod";
import { type CodexErrorCode, CodexProviderError } from "./codexErrors.js";

/** Largest timeout `setTimeout`/`AbortSignal.timeout` accept: 2^31 - 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** Model used when neither the run nor `CODEX_MODEL` names one. */
export const DEFAULT_CODEX_MODEL = "gpt-5-codex";

/** Schema of the options of one `CodexProvider.run` call. */
export const providerRunOptionsSchema = z.object({
  /** Directory the agent works in; required, non-empty. */
  workingDirectory: z
    .string({ error: "workingDirectory must be a non-empty string" })
    .refine((value) => value.trim().length > 0, "workingDirectory must be a non-empty string"),
  /** Extra developer instructions; trimmed, empty values ignored. */
  systemPrompt: z
    .string({ error: "systemPrompt must be a string" })
    .optional()
    .transform((value) => {
      const trimmed = value?.trim();
      return trimmed ? trimmed : undefined;
    }),
  /** Context passages sent before the prompt; non-string entries are dropped. */
  context: z
    .array(z.unknown(), { error: "context must be an array of strings" })
    .optional()
    .transform((entries) => entries?.filter((entry): entry is string => typeof entry === "string")),
  /** Deadline of the whole run in milliseconds, at most 2_147_483_647; no default. */
  timeout: z
    .number({ error: "timeout must be a number of milliseconds" })
    .positive("timeout must be a positive number of milliseconds")
    .max(MAX_TIMEOUT_MS, `timeout must be at most ${MAX_TIMEOUT_MS} ms`)
    .optional(),
  /** Cancels the run from outside the loop (even while codex is silent); fails with `CODEX_TIMEOUT`, `failureCode: "aborted"`. */
  signal: z.instanceof(AbortSignal, { error: "signal must be an AbortSignal" }).optional(),
});

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

/** Schema of the settings a `CodexProvider` is constructed with. */
export const codexProviderSettingsSchema = z.object({
  /** Codex CLI `--config` overrides (MCP servers, developer_instructions, model providers, sandbox...). */
  config: codexConfigSchema.optional(),
  /** Sandbox of the agent's commands; `workspace-write` lets it edit the working directory. */
  sandboxMode: z.enum(["read-only", "workspace-write", "danger-full-access"]).default("workspace-write"),
  /** When the agent asks for approval; unattended runs cannot answer, so `never` is the default. */
  approvalPolicy: z.enum(["never", "on-request", "on-failure", "untrusted"]).default("never"),
  /** Run outside a git repository without Codex's trust check (the caller chose the directory). */
  skipGitRepoCheck: z.boolean().default(true),
  /** Reasoning effort passed to the model, when set. */
  modelReasoningEffort: z.enum(["minimal", "low", "medium", "high", "xhigh"]).optional(),
  /** Let the agent's shell see the API key variables (off: they are excluded via `shell_environment_policy`). */
  inheritSecretsInShell: z.boolean().default(false),
});

/** Settings of a `CodexProvider`, as callers pass them. */
export type CodexProviderSettings = z.input<typeof codexProviderSettingsSchema>;
/** Settings of a `CodexProvider` after validation and defaults. */
export type ResolvedProviderSettings = z.output<typeof codexProviderSettingsSchema>;

/** Parses with a schema and turns failures into one typed error naming the offending field. */
function parseOrThrow<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  code: CodexErrorCode,
  what: string,
): z.output<TSchema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const where = path.length > 0 ? path.join(".") : what;
  return throwTyped(code, `Invalid ${what}: ${where}: ${issue?.message ?? "invalid value"}`, {
    path,
    issues: parsed.error.issues.map((entry) => ({ path: entry.path.map(String), message: entry.message })),
  });
}

function throwTyped(code: CodexErrorCode, message: string, details: Record<string, unknown>): never {
  throw new CodexProviderError({ code, message, details });
}

/** Validates and normalizes `ProviderRunOptions`; throws `CODEX_INVALID_OPTIONS`. */
export function parseRunOptions(input: unknown): ResolvedRunOptions {
  if (typeof input !== "object" || input === null) {
    return throwTyped(
      "CODEX_INVALID_OPTIONS",
      "Invalid run options: expected an object with workingDirectory",
      {
        path: [],
      },
    );
  }
  return parseOrThrow(providerRunOptionsSchema, input, "CODEX_INVALID_OPTIONS", "run options");
}

/** Validates `CodexProvider` settings; throws `CODEX_INVALID_CONFIG`. */
export function parseProviderSettings(input: unknown): ResolvedProviderSettings {
  return parseOrThrow(
    codexProviderSettingsSchema,
    input ?? {},
    "CODEX_INVALID_CONFIG",
    "CodexProvider settings",
  );
}

/** Builds the turn input: context passages first, then the prompt. */
export function buildTurnInput(
  prompt: string,
  options: { context?: string[] | undefined },
): { type: "text"; text: string }[] {
  return [...(options.context ?? []), prompt].map((text) => ({ type: "text" as const, text }));
}
