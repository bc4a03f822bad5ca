import { z } from "zod";
import {
  type CodexErrorCode,
  type CodexErrorDetailsInit,
  CodexProviderError,
  type CodexTimeoutKind,
  retryableByDefault,
} from "./codexError.js";
import type { StopReason } from "./codexSettle.js";

/** Everything known about how a run ended badly; every field optional. */
export interface FailureFacts {
  /** The fatal `error`/`turn.failed` message from the stream. */
  message?: string;
  /** What the SDK or Node threw; kept as `cause`, and mined for exit code, errno and stderr. */
  error?: unknown;
  /** Exit code of codex, when it exited on its own. */
  exitCode?: number;
  /** Signal that ended codex. */
  signal?: string;
  /**
   * Why the provider stopped codex itself, when it did: a `signal` is then the provider's own. Without it, a
   * `signal` means codex was killed from outside the provider (the OOM killer, a shutdown, an operator).
   */
  stoppedBy?: StopReason["kind"];
  /** codex's stderr (the classifier keeps its tail). */
  stderr?: string;
  /** Set when the caller's `signal` aborted the run: the signal's reason. */
  abortReason?: unknown;
  /** True when the caller aborted (the reason itself may be `undefined`). */
  aborted?: boolean;
  /** Set when one of the run's deadlines fired. */
  timeoutKind?: CodexTimeoutKind;
  /** The deadline that fired, in milliseconds. */
  timeoutMs?: number;
  /** A Node errno (`ECONNREFUSED`, `ENOENT`...). */
  errno?: string;
  /** HTTP status of the failed request. */
  statusCode?: number;
  /** `error.code ?? error.type` of an API error body. */
  bodyCode?: string;
  /** The variant of an app-server `codexErrorInfo` (e.g. `usageLimitExceeded`); read before any text. */
  errorKind?: string;
}

/**
 * `codexErrorInfo` variants that decide the code on their own, with the failure code they imply (a known codex
 * message of the same code refines it) and, when it differs from the code's default, whether a retry may help.
 */
const ERROR_KINDS: Readonly<Record<string, readonly [CodexErrorCode, string, boolean?]>> = {
  unauthorized: ["CODEX_AUTH_ERROR", "unauthorized"],
  usageLimitExceeded: ["CODEX_RATE_LIMITED", "usage_limit_exceeded"],
  rateLimitExceeded: ["CODEX_RATE_LIMITED", "rate_limit_exceeded"],
  contextWindowExceeded: ["CODEX_INTERNAL_ERROR", "context_length_exceeded"],
  serverOverloaded: ["CODEX_INTERNAL_ERROR", "server_overloaded"],
  internalServerError: ["CODEX_INTERNAL_ERROR", "internal_server_error", true],
  sandboxError: ["CODEX_INTERNAL_ERROR", "sandbox_error"],
  turnInterrupted: ["CODEX_ABORTED", "approval_cancelled"],
};

const STDERR_CAP = 4000;
const UPSTREAM_CAP = 2000;
const SHORT_CAP = 300;

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
  ["CODEX_INVALID_OPTIONS", /input exceeds the maximum length/i, "input_too_large"],
  // `resumeThreadId` naming a thread codex cannot load (the provider checks the rollout store first).
  ["CODEX_INVALID_OPTIONS", /thread\/resume failed|no rollout found for thread/i, "thread_not_found"],
  // app-server: another process (another provider's pool) has the thread loaded; one writer per thread.
  ["CODEX_INVALID_OPTIONS", /already has an active writer/i, "thread_in_use"],
  ["CODEX_TIMEOUT", /idle timeout/i, "idle_timeout"],
  ["CODEX_TRANSPORT_ERROR", /waiting for network/i, "network_unreachable"],
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
    /error loading config|failed to load configuration|unknown variant|codex config override|unsupported (?:platform|target triple)|unable to locate codex cli/i,
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
function parseBody(text: string): { code?: string; message?: string } | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, text.lastIndexOf("}") + 1));
    const body = (parsed as { error?: unknown } | null)?.error ?? parsed;
    if (typeof body !== "object" || body === null) return undefined;
    const { code, type, message } = body as Record<string, unknown>;
    return {
      ...(typeof code === "string" ? { code } : typeof type === "string" ? { code: type } : {}),
      ...(typeof message === "string" ? { message } : {}),
    };
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
    if (match)
      return { code, ...((failureCode ?? match[1]) ? { failureCode: failureCode ?? match[1] } : {}) };
  }
  return undefined;
}

const cap = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What the classifier reads off a thrown error: exit status, stderr, errno, HTTP status, spawn failure. */
interface ThrownFacts {
  exitCode?: number;
  signal?: string;
  stderr?: string;
  text?: string;
  errno?: string;
  statusCode?: number;
  spawnPath?: string;
  spawnFailure?: boolean;
  timeoutError?: boolean;
}

/** Step 1: the structured facts inside a thrown error and its cause chain. */
function factsOfThrown(error: unknown): ThrownFacts {
  const out: ThrownFacts = {};
  if (typeof error === "string") {
    if (error.trim()) out.text = error.trim();
    return out;
  }
  for (const link of causeChain(error)) {
    const exit = EXEC_EXIT.exec(link.message);
    if (exit) {
      if (exit[1] !== undefined) out.exitCode = Number(exit[1]);
      if (exit[2] !== undefined) out.signal = exit[2];
      out.stderr ??= String(exit[3]);
    } else {
      out.text ??= link.message.trim() || undefined;
    }
    if (link.name === "TimeoutError" || link.code === 23) out.timeoutError = true;
    if (typeof link.code === "string" && /^E[A-Z_]+$/.test(link.code)) {
      out.errno ??= link.code;
      const spawn =
        (typeof link.syscall === "string" && link.syscall.startsWith("spawn")) ||
        /^spawn\s/.test(link.message);
      if (spawn && (link.code === "ENOENT" || link.code === "EACCES")) {
        out.spawnFailure = true;
        if (typeof link.path === "string") out.spawnPath = link.path;
      }
    }
    for (const status of [link.status, link.statusCode]) {
      if (typeof status === "number" && status >= 400 && status < 600) out.statusCode ??= status;
    }
  }
  return out;
}

/** A decided failure: the code and the details that explain it. */
interface Decision {
  code: CodexErrorCode;
  details: CodexErrorDetailsInit;
  upstream?: string;
}

/** Step 2: facts → code. Structured facts beat text; text patterns follow the runbook's table order. */
function decide(facts: FailureFacts, thrown: ThrownFacts): Decision {
  const details: CodexErrorDetailsInit = {};
  const exitCode = facts.exitCode ?? thrown.exitCode;
  const signal = facts.signal ?? thrown.signal;
  const stderr = facts.stderr ?? thrown.stderr;
  if (exitCode !== undefined) details.exitCode = exitCode;
  if (signal !== undefined) details.signal = signal;
  if (stderr !== undefined) details.stderr = stderr.trim().slice(-STDERR_CAP);
  if (facts.timeoutMs !== undefined) details.timeoutMs = facts.timeoutMs;

  if (facts.aborted || facts.abortReason !== undefined) {
    return { code: "CODEX_ABORTED", details: { ...details, failureCode: "aborted" } };
  }
  if (facts.timeoutKind !== undefined) {
    return {
      code: "CODEX_TIMEOUT",
      details: { ...details, failureCode: "timeout", timeoutKind: facts.timeoutKind },
    };
  }
  const message = facts.message?.trim() || undefined;
  // Killed by a signal the provider did not send: transient like a dead connection (the app-server transport's
  // `app_server_exited` is the same code). A fatal message codex reported first is the better cause.
  if (signal !== undefined && facts.stoppedBy === undefined && message === undefined) {
    return { code: "CODEX_TRANSPORT_ERROR", details: { ...details, failureCode: "process_killed" } };
  }
  let upstream = message ?? thrown.text ?? (stderr ? upstreamFromStderr(stderr) : undefined);
  const text = upstream ?? "";
  const body = facts.bodyCode !== undefined ? { code: facts.bodyCode } : parseBody(text);
  if (body?.message) upstream = body.message + (body.code ? ` (${body.code})` : "");
  const statusText = STATUS.exec(text)?.[1];
  const statusCode =
    facts.statusCode ?? thrown.statusCode ?? (statusText === undefined ? undefined : Number(statusText));
  if (statusCode !== undefined) details.statusCode = statusCode;
  const errno = facts.errno ?? thrown.errno;
  const withUpstream = (decision: Decision): Decision =>
    upstream === undefined ? decision : { ...decision, upstream };

  if (thrown.timeoutError) {
    return withUpstream({ code: "CODEX_TIMEOUT", details: { ...details, failureCode: "timeout" } });
  }
  if (thrown.spawnFailure) {
    const failureCode = errno === "EACCES" ? "EACCES" : "ENOENT";
    const path = thrown.spawnPath === undefined ? {} : { path: thrown.spawnPath };
    return withUpstream({ code: "CODEX_INVALID_CONFIG", details: { ...details, failureCode, ...path } });
  }
  if (
    message === undefined &&
    errno !== undefined &&
    (TRANSPORT_ERRNOS.has(errno) || errno === "ETIMEDOUT")
  ) {
    const code = errno === "ETIMEDOUT" ? "CODEX_TIMEOUT" : "CODEX_TRANSPORT_ERROR";
    return withUpstream({ code, details: { ...details, failureCode: errno } });
  }
  const kind = facts.errorKind === undefined ? undefined : ERROR_KINDS[facts.errorKind];
  const bodyCode = body?.code === undefined ? undefined : BODY_CODES[body.code];
  const specific = matchRule(SPECIFIC_RULES, text);
  const hit = specific ?? matchRule(GENERIC_RULES, text);
  const code =
    kind?.[0] ??
    bodyCode ??
    (statusCode !== undefined ? statusToCode(statusCode) : (hit?.code ?? "CODEX_INTERNAL_ERROR"));
  if (kind !== undefined)
    details.failureCode = (specific?.code === code ? specific.failureCode : undefined) ?? kind[1];
  else if (body?.code !== undefined) details.failureCode = body.code;
  else if (specific?.code === code && specific.failureCode !== undefined)
    details.failureCode = specific.failureCode;
  if (kind?.[2] !== undefined) details.retryableKind = kind[2];
  const envVar = /missing environment variable:?\s*`?(\w+)/i.exec(text)?.[1];
  if (code === "CODEX_AUTH_ERROR" && envVar !== undefined) details.envVar = envVar;
  const retryAfterMs = parseRetryAfterMs(text);
  if (code === "CODEX_RATE_LIMITED" && retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  return withUpstream({ code, details });
}

/** Step 3: the short, actionable message: what failed, the upstream reason, which option or env var to touch. */
function describe({ code, details, upstream }: Decision): string {
  const { statusCode, failureCode, timeoutMs, timeoutKind, exitCode, signal, envVar, path, retryAfterMs } =
    details;
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
      if (failureCode === "thread_not_found")
        return `Codex cannot resume the thread (option \`resumeThreadId\`): ${reason}. Use a thread id from this CODEX_HOME.`;
      if (failureCode === "thread_in_use")
        return `Codex cannot resume the thread (option \`resumeThreadId\`): ${reason}. Another codex app-server holds it: resume on the CodexProvider that ran it, or close() that provider first.`;
      return `Invalid Codex run options: ${reason}.`;
    case "CODEX_INVALID_EVENT":
      return `Codex emitted an event the SDK could not parse: ${reason}. Report it as an SDK/CLI contract mismatch.`;
    case "CODEX_ABORTED":
      return failureCode === "approval_cancelled"
        ? "Codex run was cancelled: `onApproval` answered `cancel`; not retried."
        : "Codex run was cancelled by the caller (option `signal`); not retried.";
    case "CODEX_TIMEOUT":
      if (timeoutKind === "total")
        return `Codex run exceeded its timeout of ${timeoutMs} ms (option \`timeout\`); raise \`timeout\` or retry.`;
      if (timeoutKind === "idle")
        return `Codex sent no event for ${timeoutMs} ms (option \`idleTimeout\`); raise \`idleTimeout\` or retry.`;
      return failureCode === "idle_timeout"
        ? `Codex stream went idle: ${reason}. Retry with backoff, or raise \`stream_idle_timeout_ms\` (option \`config\`).`
        : `Codex request timed out${http}: ${reason}. Retry with backoff, or raise option \`timeout\`.`;
    case "CODEX_RATE_LIMITED": {
      const after = typeof retryAfterMs === "number" ? ` (after ${retryAfterMs} ms)` : "";
      return `Codex was rate limited${http}: ${reason}. Retry with backoff${after} and reduce concurrency; on quota errors check the plan behind CODEX_API_KEY / OPENAI_API_KEY.`;
    }
    case "CODEX_TRANSPORT_ERROR": {
      if (failureCode === "process_killed") return killedMessage(String(signal));
      const errno = failureCode === undefined ? "" : ` (${failureCode})`;
      return `Codex could not reach the model API${errno}: ${reason}. Check the network, proxy and OPENAI_BASE_URL; retry with backoff.`;
    }
    case "CODEX_MISSING_RESULT":
      return `Codex ended without a terminal result: ${reason}.`;
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

/** Signals a shutdown, a supervisor, an operator or a user-space OOM daemon sends to stop a process. */
const STOP_SIGNALS = new Set(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"]);

/** The message of a codex killed by a signal the provider did not send: who likely sent it, what to check. */
function killedMessage(signal: string): string {
  const retry = "Retry with backoff.";
  if (signal === "SIGKILL")
    return `Codex was killed by SIGKILL from outside the provider: most likely the kernel's OOM killer or a container memory limit. Check \`dmesg\` and the memory limits, or run fewer agents at once. ${retry}`;
  if (STOP_SIGNALS.has(signal))
    return `Codex was killed by ${signal} from outside the provider: a shutdown, a supervisor, an operator or a memory daemon (systemd-oomd, earlyoom) stopped it. Check the system log and the memory limits. ${retry}`;
  return `Codex was killed by ${signal}, a signal the provider does not send (a crash or a kill from outside). Check \`dmesg\` and the memory limits. ${retry}`;
}

/** How deep `readable` reads a foreign value (the redactor reads past this only into plain data). */
const READ_DEPTH = 16;

/** Every own property of `value` and below, as the classifier and the run's redactor will read them. */
function readAll(value: unknown, depth: number, seen: Set<object>): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return;
  if (seen.has(value) || depth > READ_DEPTH) return;
  seen.add(value);
  Reflect.getPrototypeOf(value);
  const isError = value instanceof Error;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined) continue;
    if ("value" in descriptor) readAll(descriptor.value, depth + 1, seen);
    else if (isError) readAll(Reflect.get(value, key), depth + 1, seen);
  }
  if (value instanceof Map || value instanceof Set)
    for (const entry of value) readAll(entry, depth + 1, seen);
  // The duck-typed reads of `isErrorLike` and `causeChain`, which invoke getters of any object.
  for (const key of ["message", "cause", "name", "code", "stack"])
    readAll(Reflect.get(value, key), depth + 1, seen);
}

/**
 * A thrown value or abort reason as it can be read safely: itself, or when reading it throws (a getter, a Proxy
 * trap, a revoked Proxy) a plain `Error` saying so, so that no raw error escapes the classifier or the redactor.
 */
export function readable(value: unknown): unknown {
  if (isReadable(value)) return value;
  const unreadable = new Error("an unreadable value (a getter or Proxy trap threw when it was read)");
  if (!CodexProviderError.isInstance(value)) return unreadable;
  // A typed error keeps its code: the same error, its unreadable parts (cause, details) left out.
  try {
    const { code, message, retryable, details } = value;
    return new CodexProviderError({
      code,
      message: String(message),
      retryable: retryable === true,
      ...(isReadable(details) ? { details } : {}),
      cause: unreadable,
    });
  } catch {
    return unreadable;
  }
}

function isReadable(value: unknown): boolean {
  try {
    readAll(value, 0, new Set());
    return true;
  } catch {
    return false;
  }
}

/** A fact of the documented type, else none: an untyped caller's `stderr: []` or `signal: Symbol()` is no fact. */
const text = z.string().optional().catch(undefined);
const finite = z.number().finite().optional().catch(undefined);

/**
 * The scalar facts as `FailureFacts` types them (`error` and `abortReason` are read by `readable`). The classifier is
 * public (the testing entry): whatever a caller passes, it returns a typed error and never throws. A `signal` is a
 * trimmed, non-blank name; a `stoppedBy` of `null` is no stop.
 */
const failureFactsSchema = z.object({
  message: text,
  exitCode: finite,
  signal: z.string().trim().min(1).optional().catch(undefined),
  stoppedBy: z.string().optional().catch(undefined),
  stderr: text,
  aborted: z.boolean().optional().catch(undefined),
  timeoutKind: text,
  timeoutMs: finite,
  errno: text,
  statusCode: finite,
  bodyCode: text,
  errorKind: text,
});

const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;

/**
 * The one classifier: turns the facts of a failed run into one `CodexProviderError`. Precedence: caller abort >
 * own deadline > a signal the provider did not send (`process_killed`) > Node timeout > spawn errno > network
 * errno > API body code > HTTP status > known codex messages > runbook text patterns > internal fallback. It never
 * redacts: the run handle's redactor does.
 */
export function classifyCodexFailure(raw: FailureFacts): CodexProviderError {
  const typed = failureFactsSchema.parse(isObject(raw) ? raw : {}) as FailureFacts;
  const facts: FailureFacts = {
    ...typed,
    error: readable(raw?.error),
    abortReason: readable(raw?.abortReason),
  };
  // Already classified (a bootstrap error, a nested run): never wrap twice unless a message adds information.
  if (!facts.message?.trim() && !facts.aborted && facts.timeoutKind === undefined) {
    if (CodexProviderError.isInstance(facts.error)) return facts.error;
  }
  const thrown = factsOfThrown(facts.error);
  const decision = decide(facts, thrown);
  if (decision.upstream !== undefined)
    decision.details.upstreamMessage = cap(decision.upstream, UPSTREAM_CAP);
  const cause = facts.aborted || facts.abortReason !== undefined ? facts.abortReason : facts.error;
  const { retryableKind, ...details } = decision.details;
  return new CodexProviderError({
    code: decision.code,
    message: describe(decision),
    details,
    ...(typeof retryableKind === "boolean" ? { retryable: retryableKind } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}
