/**
 * Every code a `CodexProviderError` can carry (runbook "Error Taxonomy", plus the `CODEX_ABORTED` and
 * `CODEX_INVALID_OUTPUT` extensions).
 */
export const CODEX_ERROR_CODES = [
  "CODEX_AUTH_ERROR",
  "CODEX_INVALID_CONFIG",
  "CODEX_INVALID_OPTIONS",
  "CODEX_INVALID_EVENT",
  "CODEX_MISSING_RESULT",
  "CODEX_INVALID_OUTPUT",
  "CODEX_TIMEOUT",
  "CODEX_ABORTED",
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
  | "aborted"
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
  // The answer broke the run's `outputSchema` contract, like a malformed event breaks the stream's.
  CODEX_INVALID_OUTPUT: "config",
  CODEX_TIMEOUT: "timeout",
  CODEX_ABORTED: "aborted",
  CODEX_RATE_LIMITED: "rate_limit",
  CODEX_TRANSPORT_ERROR: "transport",
  CODEX_INTERNAL_ERROR: "internal",
};

/** Which deadline ended a run: the whole-run `timeout` or the `idleTimeout` between events. */
export type CodexTimeoutKind = "total" | "idle";

/** Details a caller may give the constructor; `classification` defaults from the code. */
export interface CodexErrorDetailsInit {
  /** Class of the failure; defaults to the code's class. */
  classification?: CodexErrorClassification;
  /** HTTP status of the model API response, when known. */
  statusCode?: number;
  /** Machine-readable cause, e.g. `insufficient_quota`, `ECONNRESET`, `max_output_tokens`. */
  failureCode?: string;
  /** Exit code of the codex process, when it exited on its own. */
  exitCode?: number;
  /** Signal that ended the codex process (the provider sends `SIGTERM` when it ends a run). */
  signal?: string;
  /** Tail of codex stderr, at most the last 4000 characters; `""` when codex printed nothing or was killed. */
  stderr?: string;
  /** The fatal message codex reported, at most 2000 characters. */
  upstreamMessage?: string;
  /** For `CODEX_TIMEOUT`: which deadline fired. */
  timeoutKind?: CodexTimeoutKind;
  /** Extra diagnostics (eventIndex, path, option, envVar, retryAfterMs, timeoutMs...). */
  [key: string]: unknown;
}

/** Diagnostics of a `CodexProviderError`; safe to log once it passed the run's redactor. */
export interface CodexErrorDetails extends CodexErrorDetailsInit {
  /** Class of the failure. */
  classification: CodexErrorClassification;
}

/** Constructor argument of `CodexProviderError`. */
export interface CodexProviderErrorInit {
  /** Literal error code. */
  code: CodexErrorCode;
  /** Short actionable message. */
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

/**
 * Default retryability: timeouts, rate limits and transport failures yes; internal errors only for 5xx or
 * overload; a caller's abort, auth, config and contract failures never.
 */
export function retryableByDefault(code: CodexErrorCode, details: CodexErrorDetailsInit = {}): boolean {
  if (code === "CODEX_TIMEOUT" || code === "CODEX_RATE_LIMITED" || code === "CODEX_TRANSPORT_ERROR")
    return true;
  if (code !== "CODEX_INTERNAL_ERROR") return false;
  const status = details.statusCode;
  return (
    (status !== undefined && status >= 500 && status < 600) || details.failureCode === "server_overloaded"
  );
}

/** The one error type the Codex provider throws: literal `code`, `retryable`, `details`, standard `cause`. */
export class CodexProviderError extends Error {
  /** Always `CodexProviderError`. */
  override readonly name = "CodexProviderError";
  /** Literal error code. */
  readonly code: CodexErrorCode;
  /** Whether retrying the same run may succeed. */
  readonly retryable: boolean;
  /** Diagnostics. */
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
    try {
      return (
        typeof value === "object" && value !== null && (value as { [MARKER]?: unknown })[MARKER] === true
      );
    } catch {
      // A Proxy whose trap throws, or a revoked one: not ours.
      return false;
    }
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
