/** Every code a `CodexProviderError` can carry (runbook "Error Taxonomy"). */
export const CODEX_ERROR_CODES = [
  "CODEX_AUTH_ERROR",
  "CODEX_INVALID_CONFIG",
  "CODEX_INVALID_OPTIONS",
  "CODEX_INVALID_EVENT",
  "CODEX_MISSING_RESULT",
  "CODEX_TIMEOUT",
  "CODEX_RATE_LIMITED",
  "CODEX_TRANSPORT_ERROR",
  "CODEX_INTERNAL_ERROR",
] as const;

/** A literal error code of the Codex provider. */
export type CodexErrorCode = (typeof CODEX_ERROR_CODES)[number];

/** Coarse class of a failure; what retry and alerting policies branch on. */
export type CodexErrorClassification =
  | "auth"
  | "config"
  | "timeout"
  | "rate_limit"
  | "transport"
  | "internal";

/** The classification of each code (runbook table). */
export const CODEX_ERROR_CLASSIFICATION: Readonly<Record<CodexErrorCode, CodexErrorClassification>> = {
  CODEX_AUTH_ERROR: "auth",
  CODEX_INVALID_CONFIG: "config",
  CODEX_INVALID_OPTIONS: "config",
  CODEX_INVALID_EVENT: "config",
  CODEX_MISSING_RESULT: "config",
  CODEX_TIMEOUT: "timeout",
  CODEX_RATE_LIMITED: "rate_limit",
  CODEX_TRANSPORT_ERROR: "transport",
  CODEX_INTERNAL_ERROR: "internal",
};

/** Details a caller may give the constructor; `classification` defaults from the code. */
export interface CodexErrorDetailsInit {
  /** Class of the failure; defaults to the code's class. */
  classification?: CodexErrorClassification;
  /** HTTP status of the model API response, when known. */
  statusCode?: number;
  /** Machine-readable cause, e.g. `insufficient_quota`, `ECONNRESET`, `max_output_tokens`. */
  failureCode?: string;
  /** Exit code of the codex process (`Codex Exec exited with code N`). */
  exitCode?: number;
  /** Signal that ended the codex process (`Codex Exec exited with signal SIG`). */
  signal?: string;
  /** Tail of codex stderr: redacted, at most the last 4000 characters. */
  stderr?: string;
  /** The fatal message codex reported: redacted, at most 2000 characters. */
  upstreamMessage?: string;
  /** Extra diagnostics (eventIndex, path, option, envVar, retryAfterMs...). */
  [key: string]: unknown;
}

/** Diagnostics of a `CodexProviderError`; safe to log (never holds secrets). */
export interface CodexErrorDetails extends CodexErrorDetailsInit {
  /** Class of the failure. */
  classification: CodexErrorClassification;
}

/** Constructor argument of `CodexProviderError`. */
export interface CodexProviderErrorInit {
  /** Literal error code. */
  code: CodexErrorCode;
  /** Short actionable message; must not contain secrets. */
  message: string;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Diagnostics; `classification` defaults from `code`. */
  details?: CodexErrorDetailsInit;
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
}

/** The log-safe JSON form of a `CodexProviderError`. */
export type CodexProviderErrorJSON = Pick<
  CodexProviderError,
  "name" | "code" | "message" | "retryable" | "details"
>;

const MARKER: unique symbol = Symbol.for("@alphred/agents.CodexProviderError");
const STDERR_CAP = 4000;
const UPSTREAM_CAP = 2000;
const SHORT_CAP = 300;

/** Default retryability: timeouts, rate limits and transport yes; internal only for 5xx or overload. */
export function retryableByDefault(code: CodexErrorCode, details: CodexErrorDetailsInit = {}): boolean {
  if (code === "CODEX_TIMEOUT" || code === "CODEX_RATE_LIMITED" || code === "CODEX_TRANSPORT_ERROR")
    return true;
  if (code !== "CODEX_INTERNAL_ERROR") return false;
  const status = details.statusCode;
  return (
    (status !== undefined && status >= 500 && status < 600) || details.failureCode === "server_overloaded"
  );
}

/** The one error type the Codex provider throws: literal `code`, `retryable`, log-safe `details`, standard `cause`. */
export class CodexProviderError extends Error {
  /** Always `CodexProviderError`. */
  override readonly name = "CodexProviderError";
  /** Literal error code. */
  readonly code: CodexErrorCode;
  /** Whether retrying the same run may succeed. */
  readonly retryable: boolean;
  /** Diagnostics; never holds secrets. */
  readonly details: CodexErrorDetails;
  /** Brand that `isInstance` checks, shared across duplicated package copies. */
  readonly [MARKER] = true;

  constructor(init: CodexProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.details = {
      ...init.details,
      classification: init.details?.classification ?? CODEX_ERROR_CLASSIFICATION[init.code],
    };
    this.retryable = init.retryable ?? retryableByDefault(init.code, this.details);
  }

  /** True for any `CodexProviderError`, including one from another copy of this package. */
  static isInstance(value: unknown): value is CodexProviderError {
    return typeof value === "object" && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true;
  }

  /** The log-safe form: name, code, message, retryable and details. */
  toJSON(): CodexProviderErrorJSON {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details,
    };
  }
}

const KEY_SHAPED = /\bsk-(?:\.{3})?[A-Za-z0-9_*-]{6,}/g;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi;
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:(?:basic|bearer|token)\s+)?)[^\s"',;]{6,}/gi;

/** Cheap pre-check: text without any of these cannot match the three patterns above. */
const MAYBE_SECRET = /sk-|bearer|authorization/i;

/**
 * Builds a redactor for a fixed set of secrets (each of 8+ chars, longest first): it replaces them, OpenAI-shaped
 * keys and bearer/authorization values with `[REDACTED]`. Built once per run, it is cheap on text with no secret.
 */
export function createRedactor(secrets: readonly string[] = []): (text: string) => string {
  const usable = secrets
    .filter((secret) => typeof secret === "string" && secret.length >= 8)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of usable) if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
    if (!MAYBE_SECRET.test(out)) return out;
    return out
      .replace(KEY_SHAPED, "[REDACTED]")
      .replace(BEARER, "$1[REDACTED]")
      .replace(AUTH_HEADER, "$1[REDACTED]");
  };
}

/** Replaces each given secret (8+ chars), OpenAI-shaped keys and bearer/authorization values with `[REDACTED]`. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  return createRedactor(secrets)(text);
}

/** What is known about a failed run; all optional. */
export interface FailureFacts {
  /** The thrown error (SDK, Node, abort...). */
  error?: unknown;
  /** The fatal `error`/`turn.failed` message from the stream, if any. */
  message?: string;
  /** True when the run's own `timeout` fired. */
  timedOut?: boolean;
  /** The run's `timeout` option in milliseconds. */
  timeoutMs?: number;
  /** Configured secrets (API keys) that must never appear in the error. */
  secrets?: readonly string[];
}

/** One text pattern: the code it means and the failure code it implies (else its first capture group). */
type Rule = readonly [code: CodexErrorCode, pattern: RegExp, failureCode?: string];

/** Known codex messages first: they beat the generic patterns (e.g. `stream disconnected: idle timeout`). */
const SPECIFIC_RULES: readonly Rule[] = [
  ["CODEX_AUTH_ERROR", /missing environment variable/i, "missing_env_key"],
  ["CODEX_RATE_LIMITED", /quota exceeded|insufficient[_ ]quota/i, "insufficient_quota"],
  ["CODEX_RATE_LIMITED", /rate[_ ]limit[_ ]exceeded/i, "rate_limit_exceeded"],
  ["CODEX_INTERNAL_ERROR", /currently experiencing high demand|server[_ ]overloaded/i, "server_overloaded"],
  [
    "CODEX_INTERNAL_ERROR",
    /context window|context[_ ]length[_ ]exceeded|maximum context length/i,
    "context_length_exceeded",
  ],
  ["CODEX_INTERNAL_ERROR", /incomplete response returned, reason: (\w+)/i],
  ["CODEX_TIMEOUT", /idle timeout/i, "idle_timeout"],
  ["CODEX_INVALID_EVENT", /^failed to parse item:/i, "invalid_json"],
];

/** The runbook's "Typical triggers", in table order; first match wins. */
const GENERIC_RULES: readonly Rule[] = [
  [
    "CODEX_AUTH_ERROR",
    /unauthori[sz]ed|forbidden|(?:invalid|incorrect) api[ _-]?key|not logged in|authenticat/i,
  ],
  [
    "CODEX_INVALID_CONFIG",
    /error loading config|unknown variant|codex config override|unsupported (?:platform|target triple)|unable to locate codex cli/i,
  ],
  ["CODEX_INVALID_OPTIONS", /outputSchema must be/i],
  ["CODEX_TIMEOUT", /timed out|time-?out|deadline exceeded/i],
  ["CODEX_RATE_LIMITED", /too many requests|rate[ _-]?limit|throttl|quota/i],
  [
    "CODEX_TRANSPORT_ERROR",
    /stream disconnected|connection failed|error sending request|network error|connection (?:reset|refused|closed|aborted)|socket hang up|broken pipe|failed to lookup address|dns error|\bE(?:CONN[A-Z]+|PIPE|NOTFOUND|AI_AGAIN|NETUNREACH|HOSTUNREACH)\b/i,
  ],
];

/** `error.code` / `error.type` values of an API body that decide the code on their own. */
const BODY_CODES: Readonly<Record<string, CodexErrorCode>> = {
  invalid_api_key: "CODEX_AUTH_ERROR",
  insufficient_quota: "CODEX_RATE_LIMITED",
  rate_limit_exceeded: "CODEX_RATE_LIMITED",
  context_length_exceeded: "CODEX_INTERNAL_ERROR",
  server_overloaded: "CODEX_INTERNAL_ERROR",
};

const TRANSPORT_ERRNOS = new Set(
  "ECONNRESET ECONNREFUSED ENOTFOUND EAI_AGAIN EPIPE ENETUNREACH EHOSTUNREACH ECONNABORTED".split(" "),
);

const EXEC_EXIT = /^Codex Exec exited with (?:code (-?\d+)|signal (\w+)): ?([\s\S]*)$/;
const STATUS = /\b(?:status(?: code)?|HTTP(?:\/[\d.]+)?)\s*:?\s*([45]\d\d)\b/i;
const LOG_LINE =
  /^(?:\d{4}-\d\d-\d\dT\S+\s+(?:TRACE|DEBUG|INFO|WARN|ERROR)\b|WARNING:|Reading prompt from stdin)/;
const RETRY_AFTER =
  /(?:try again|retry) (?:in|after) (\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?)\b/i;

type ErrorLike = { message: string } & {
  [K in "name" | "code" | "syscall" | "path" | "status" | "statusCode" | "cause"]?: unknown;
};

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null && typeof (value as ErrorLike).message === "string";
}

/** The error and its `cause` chain, cycle-safe and bounded. */
function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = error; isErrorLike(current) && chain.length < 8; current = current.cause) {
    if (chain.includes(current)) break;
    chain.push(current);
  }
  return chain;
}

/** The most meaningful stderr text: from the last `Error...` line on, else the last non-log line. */
function upstreamFromStderr(stderr: string): string | undefined {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !LOG_LINE.test(line));
  const errorAt = lines.findLastIndex((line) => /^(?:error|fatal)\b/i.test(line));
  return (errorAt >= 0 ? lines.slice(errorAt) : lines.slice(-1)).join(" ") || undefined;
}

/** `error.code ?? error.type` and `error.message` of a JSON API body embedded in the text. */
function parseBody(text: string): { failureCode?: string; message?: string } | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, text.lastIndexOf("}") + 1));
    const body = (parsed as { error?: unknown }).error ?? parsed;
    if (typeof body !== "object" || body === null) return undefined;
    const { code, type, message } = body as Record<string, unknown>;
    const failureCode = typeof code === "string" ? code : typeof type === "string" ? type : undefined;
    return { failureCode, message: typeof message === "string" ? message : undefined };
  } catch {
    return undefined;
  }
}

function statusToCode(status: number): CodexErrorCode {
  if (status === 401 || status === 403) return "CODEX_AUTH_ERROR";
  if (status === 408 || status === 504) return "CODEX_TIMEOUT";
  if (status === 429) return "CODEX_RATE_LIMITED";
  return "CODEX_INTERNAL_ERROR";
}

function parseRetryAfterMs(text: string): number | undefined {
  const match = RETRY_AFTER.exec(text);
  if (!match) return undefined;
  const unit = String(match[2]).toLowerCase();
  const factor = unit === "ms" ? 1 : unit.startsWith("m") ? 60_000 : 1000;
  return Math.round(Number(match[1]) * factor);
}

function matchRule(
  rules: readonly Rule[],
  text: string,
): { code: CodexErrorCode; failureCode?: string } | undefined {
  for (const [code, pattern, failureCode] of rules) {
    const match = pattern.exec(text);
    if (match) return { code, failureCode: failureCode ?? match[1] };
  }
  return undefined;
}

/** Keeps the caller's cause unless a message in its chain holds a secret; then an equivalent redacted copy. */
function safeCause(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === "string") return redactSecrets(value, secrets);
  if (!isErrorLike(value) || depth > 7) return value;
  const cause = value.cause === undefined ? undefined : safeCause(value.cause, secrets, depth + 1);
  const message = redactSecrets(value.message, secrets);
  if (message === value.message && cause === value.cause) return value;
  const copy = new Error(message, cause === undefined ? undefined : { cause });
  copy.name = typeof value.name === "string" ? value.name : "Error";
  return copy;
}

const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Turns whatever a failed run left behind into one classified, redacted `CodexProviderError`. */
export function classifyCodexFailure(facts: FailureFacts): CodexProviderError {
  // Precedence: own timeout > abort > spawn errno > network errno > API body code > HTTP status > known
  // codex messages > runbook text patterns > internal fallback. Structured facts always beat text.
  const { error, timedOut, timeoutMs } = facts;
  const message = facts.message?.trim() || undefined;
  if (message === undefined && CodexProviderError.isInstance(error)) return error;
  const secrets = facts.secrets ?? [];
  const chain = causeChain(error);
  const details: CodexErrorDetailsInit = {};

  // The SDK's exit text is diagnostics, never the message: codex already reported the reason on the stream.
  let ownText = typeof error === "string" ? error.trim() || undefined : undefined;
  let stderrText: string | undefined;
  for (const link of chain) {
    const exit = EXEC_EXIT.exec(link.message);
    if (!exit) {
      ownText ??= link.message.trim() || undefined;
      continue;
    }
    if (exit[1] !== undefined) details.exitCode = Number(exit[1]);
    if (exit[2] !== undefined) details.signal = exit[2];
    const stderr = redactSecrets(String(exit[3]), secrets).trim();
    if (stderr) details.stderr = stderr.slice(-STDERR_CAP);
    stderrText ??= upstreamFromStderr(stderr);
  }
  let upstream = message ?? ownText ?? stderrText;
  const text = upstream ?? "";
  const body = parseBody(text);
  if (body?.message) upstream = body.message + (body.failureCode ? ` (${body.failureCode})` : "");

  const names = chain.map((link) => link.name);
  const codes = chain.map((link) => link.code);
  const errno = codes.find((code): code is string => typeof code === "string" && /^E[A-Z_]+$/.test(code));
  const spawnFailure = chain.some(
    (link) =>
      (link.code === "ENOENT" || link.code === "EACCES") &&
      ((typeof link.syscall === "string" && link.syscall.startsWith("spawn")) ||
        /^spawn\s/.test(link.message)),
  );
  const statusField = chain
    .flatMap((link) => [link.status, link.statusCode])
    .find((value): value is number => typeof value === "number" && value >= 400 && value < 600);
  const statusText = STATUS.exec(text)?.[1];
  const statusCode = statusField ?? (statusText === undefined ? undefined : Number(statusText));
  if (statusCode !== undefined) details.statusCode = statusCode;

  let code: CodexErrorCode;
  if (timedOut || names.includes("TimeoutError") || codes.includes(23)) {
    code = "CODEX_TIMEOUT";
    details.failureCode = "timeout";
  } else if (names.includes("AbortError") || codes.includes(20) || codes.includes("ABORT_ERR")) {
    code = "CODEX_TIMEOUT";
    details.failureCode = "aborted";
  } else if (spawnFailure) {
    code = "CODEX_INVALID_CONFIG";
    details.failureCode = codes.includes("EACCES") ? "EACCES" : "ENOENT";
    const path = chain.map((link) => link.path).find((value) => typeof value === "string");
    if (path !== undefined) details.path = path;
  } else if (errno !== undefined && (TRANSPORT_ERRNOS.has(errno) || errno === "ETIMEDOUT")) {
    code = errno === "ETIMEDOUT" ? "CODEX_TIMEOUT" : "CODEX_TRANSPORT_ERROR";
    details.failureCode = errno;
  } else {
    const bodyCode = body?.failureCode === undefined ? undefined : BODY_CODES[body.failureCode];
    const specific = matchRule(SPECIFIC_RULES, text);
    const hit = specific ?? matchRule(GENERIC_RULES, text);
    code =
      bodyCode ??
      (statusCode !== undefined ? statusToCode(statusCode) : (hit?.code ?? "CODEX_INTERNAL_ERROR"));
    if (body?.failureCode !== undefined) details.failureCode = body.failureCode;
    else if (specific?.code === code && specific.failureCode) details.failureCode = specific.failureCode;
    const envVar = /missing environment variable:?\s*`?(\w+)/i.exec(text)?.[1];
    if (code === "CODEX_AUTH_ERROR" && envVar !== undefined) details.envVar = envVar;
    const retryAfterMs = parseRetryAfterMs(text);
    if (code === "CODEX_RATE_LIMITED" && retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  }
  if (timeoutMs !== undefined) details.timeoutMs = timeoutMs;

  const safeUpstream =
    upstream === undefined ? undefined : cap(redactSecrets(upstream, secrets), UPSTREAM_CAP);
  if (safeUpstream !== undefined) details.upstreamMessage = safeUpstream;
  const summary = describe(code, details, safeUpstream);
  return new CodexProviderError({
    code,
    message: summary,
    details,
    ...(error === undefined ? {} : { cause: safeCause(error, secrets) }),
  });
}

/** The short, actionable message: what failed, the upstream reason, and which option/env var to touch. */
function describe(
  code: CodexErrorCode,
  details: CodexErrorDetailsInit,
  upstream: string | undefined,
): string {
  const { statusCode, failureCode, timeoutMs, exitCode, signal, envVar, path, retryAfterMs } = details;
  const processEnd =
    signal !== undefined ? `codex killed by ${signal}` : `codex exited with code ${exitCode}`;
  const fallback = signal === undefined && exitCode === undefined ? "no error message" : processEnd;
  const reason = cap(upstream ?? fallback, SHORT_CAP).replace(/\.+$/, "");
  const http = statusCode === undefined ? "" : ` (HTTP ${statusCode})`;
  switch (code) {
    case "CODEX_AUTH_ERROR":
      return typeof envVar === "string"
        ? `Codex authentication failed: ${reason}. Set ${envVar} (the model provider's \`env_key\`).`
        : `Codex authentication failed${http}: ${reason}. Set CODEX_API_KEY or OPENAI_API_KEY, or run \`codex login\`.`;
    case "CODEX_INVALID_CONFIG":
      return failureCode === "ENOENT" || failureCode === "EACCES"
        ? `Codex binary missing or not executable (${failureCode}${typeof path === "string" ? ` at ${path}` : ""}); reinstall dependencies (@openai/codex).`
        : `Invalid Codex configuration: ${reason}. Check the \`config\` overrides, OPENAI_BASE_URL and CODEX_HOME.`;
    case "CODEX_INVALID_OPTIONS":
      return `Invalid Codex run options: ${reason}.`;
    case "CODEX_INVALID_EVENT":
      return `Codex emitted an event the SDK could not parse: ${reason}. Report it as an SDK/CLI contract mismatch.`;
    case "CODEX_TIMEOUT":
      if (failureCode === "timeout") {
        const limit = timeoutMs === undefined ? "its timeout" : `timeout of ${timeoutMs} ms`;
        return `Codex run exceeded ${limit} (option \`timeout\`); raise \`timeout\` or retry.`;
      }
      if (failureCode === "aborted")
        return "Codex run was aborted before it finished (AbortSignal or option `timeout`).";
      return failureCode === "idle_timeout"
        ? `Codex stream went idle: ${reason}. Retry with backoff, or raise \`stream_idle_timeout_ms\` (option \`config\`).`
        : `Codex request timed out${http}: ${reason}. Retry with backoff, or raise option \`timeout\`.`;
    case "CODEX_RATE_LIMITED": {
      const after = typeof retryAfterMs === "number" ? ` (after ${retryAfterMs} ms)` : "";
      return `Codex was rate limited${http}: ${reason}. Retry with backoff${after} and reduce concurrency; on quota errors check the plan behind CODEX_API_KEY / OPENAI_API_KEY.`;
    }
    case "CODEX_TRANSPORT_ERROR": {
      const errno = failureCode === undefined ? "" : ` (${failureCode})`;
      return `Codex could not reach the model API${errno}: ${reason}. Check the network, proxy and OPENAI_BASE_URL; retry with backoff.`;
    }
    default: {
      const hint =
        failureCode === "context_length_exceeded"
          ? " Shorten the prompt or `context`, or start a new thread."
          : failureCode === "max_output_tokens"
            ? " The model hit its output limit; ask for a shorter answer."
            : retryableByDefault(code, details)
              ? " Retry with backoff."
              : "";
      return `Codex failed${http}: ${reason}.${hint}`;
    }
  }
}
