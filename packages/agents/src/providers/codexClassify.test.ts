import { constants } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyCodexFailure, type FailureFacts } from "./codexClassify.js";
import {
  CODEX_ERROR_CLASSIFICATION,
  CODEX_ERROR_CODES,
  type CodexErrorClassification,
  type CodexErrorCode,
  CodexProviderError,
  retryableByDefault,
} from "./codexError.js";

const _SECRET = "sk-test-0123456789abcdefSECRET";
const URL = "http://127.0.0.1:1234/v1/responses";

interface Expected {
  code: CodexErrorCode;
  retryable: boolean;
  classification: CodexErrorClassification;
  statusCode?: number;
  failureCode?: string;
}

const expectShape = (error: CodexProviderError, expected: Expected): void => {
  expect({
    code: error.code,
    retryable: error.retryable,
    classification: error.details.classification,
    statusCode: error.details.statusCode,
    failureCode: error.details.failureCode,
  }).toEqual({ statusCode: undefined, failureCode: undefined, ...expected });
};

const auth = (statusCode?: number, failureCode?: string): Expected => ({
  code: "CODEX_AUTH_ERROR",
  retryable: false,
  classification: "auth",
  statusCode,
  failureCode,
});
const timeout = (statusCode?: number, failureCode?: string): Expected => ({
  code: "CODEX_TIMEOUT",
  retryable: true,
  classification: "timeout",
  statusCode,
  failureCode,
});
const rateLimited = (statusCode?: number, failureCode?: string): Expected => ({
  code: "CODEX_RATE_LIMITED",
  retryable: true,
  classification: "rate_limit",
  statusCode,
  failureCode,
});
const transport = (failureCode?: string): Expected => ({
  code: "CODEX_TRANSPORT_ERROR",
  retryable: true,
  classification: "transport",
  failureCode,
});
const internal = (retryable: boolean, statusCode?: number, failureCode?: string): Expected => ({
  code: "CODEX_INTERNAL_ERROR",
  retryable,
  classification: "internal",
  statusCode,
  failureCode,
});
const config = (code: CodexErrorCode, failureCode?: string): Expected => ({
  code,
  retryable: false,
  classification: "config",
  failureCode,
});

describe("classifyCodexFailure: every fatal message the real codex binary emits (notes, Failures)", () => {
  it.each<[string, Expected]>([
    [`unexpected status 401 Unauthorized: Incorrect API key provided: sk-abc***xyz, url: ${URL}`, auth(401)],
    [`unexpected status 403 Forbidden: Project does not have access to model, url: ${URL}`, auth(403)],
    [`unexpected status 404 Not Found: The model does not exist, url: ${URL}`, internal(false, 404)],
    [`unexpected status 408 Request Timeout: request took too long, url: ${URL}`, timeout(408)],
    [`unexpected status 413 Payload Too Large: too big, url: ${URL}`, internal(false, 413)],
    [`unexpected status 422 Unprocessable Entity: bad input, url: ${URL}`, internal(false, 422)],
    [`unexpected status 502 Bad Gateway: upstream failed, url: ${URL}`, internal(true, 502)],
    [`unexpected status 503 Service Unavailable: try later, url: ${URL}`, internal(true, 503)],
    [`unexpected status 504 Gateway Timeout: upstream slow, url: ${URL}`, timeout(504)],
    ["exceeded retry limit, last status: 429 Too Many Requests", rateLimited(429)],
    ["Quota exceeded. Check your plan and billing details.", rateLimited(undefined, "insufficient_quota")],
    [
      "rate limit exceeded: Rate limit reached for gpt-5 on tokens per min. Please try again in 1.5s.",
      rateLimited(undefined, "rate_limit_exceeded"),
    ],
    [
      "We’re currently experiencing high demand, which may cause temporary errors.",
      internal(true, undefined, "server_overloaded"),
    ],
    [
      "We're currently experiencing high demand, which may cause temporary errors.",
      internal(true, undefined, "server_overloaded"),
    ],
    [
      '{"error":{"message":"Invalid value for model","type":"invalid_request_error","code":"invalid_value"}}',
      internal(false, undefined, "invalid_value"),
    ],
    [
      '{"error":{"message":"Unknown parameter","type":"invalid_request_error","code":null}}',
      internal(false, undefined, "invalid_request_error"),
    ],
    [
      'unexpected status 400 Bad Request: {"error":{"message":"bad","type":"invalid_request_error"}}',
      internal(false, 400, "invalid_request_error"),
    ],
    [
      '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
      auth(undefined, "invalid_api_key"),
    ],
    [
      '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}',
      rateLimited(undefined, "insufficient_quota"),
    ],
    [
      '{"error":{"message":"Your input exceeds the context window","code":"context_length_exceeded"}}',
      internal(false, undefined, "context_length_exceeded"),
    ],
    ["stream disconnected before completion: stream closed before response.completed", transport()],
    [
      "stream disconnected before completion: Transport error: network error: error decoding response body",
      transport(),
    ],
    [
      "stream disconnected before completion: Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
      internal(false, undefined, "context_length_exceeded"),
    ],
    [
      "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
      internal(false, undefined, "context_length_exceeded"),
    ],
    [
      "stream disconnected before completion: Rate limit reached for gpt-5. Please try again in 20ms.",
      rateLimited(),
    ],
    ["stream disconnected before completion: Quota exceeded.", rateLimited(undefined, "insufficient_quota")],
    ["stream disconnected before completion: The server had an error processing your request.", transport()],
    [
      "Incomplete response returned, reason: max_output_tokens",
      internal(false, undefined, "max_output_tokens"),
    ],
    ["Incomplete response returned, reason: content_filter", internal(false, undefined, "content_filter")],
    [
      "stream disconnected before completion: idle timeout waiting for SSE",
      timeout(undefined, "idle_timeout"),
    ],
    ["Missing environment variable: `CODEX_API_KEY`.", auth(undefined, "missing_env_key")],
    ["Connection failed: error sending request", transport()],
    ["Failed to parse item: {not json", config("CODEX_INVALID_EVENT", "invalid_json")],
    [
      "Error: thread/resume: thread/resume failed: no rollout found for thread id 019a-ff (code -32600)",
      config("CODEX_INVALID_OPTIONS", "thread_not_found"),
    ],
    [
      "thread 01a2134b-5a40-7f03-b7b6-88d838d9cc0b already has an active writer",
      config("CODEX_INVALID_OPTIONS", "thread_in_use"),
    ],
  ])("%s", (message, expected) => {
    expectShape(classifyCodexFailure({ message }), expected);
  });
});

describe("classifyCodexFailure: runbook trigger examples and generic patterns", () => {
  it.each<[string, Expected]>([
    ["Not logged in", auth()],
    ["401 Unauthorized", auth()],
    ["403 forbidden by policy", auth()],
    ["Invalid API key supplied", auth()],
    ["authentication required", auth()],
    [
      "Error loading config.toml: unknown variant `bogus`, expected `responses`",
      config("CODEX_INVALID_CONFIG"),
    ],
    ["Unsupported platform: sunos (sparc)", config("CODEX_INVALID_CONFIG")],
    [
      "Unable to locate Codex CLI binaries. Ensure @openai/codex is installed with optional dependencies.",
      config("CODEX_INVALID_CONFIG"),
    ],
    ["Codex config override at model must be a finite number", config("CODEX_INVALID_CONFIG")],
    ["outputSchema must be a plain JSON object", config("CODEX_INVALID_OPTIONS")],
    ["request timed out", timeout()],
    ["Timeout while waiting", timeout()],
    ["deadline exceeded", timeout()],
    ["Too Many Requests", rateLimited()],
    ["requests are being throttled", rateLimited()],
    ["monthly quota reached", rateLimited()],
    ["HTTP 429", rateLimited(429)],
    ["status code 503 from upstream", internal(true, 503)],
    ["HTTP/1.1 500 Internal Server Error", internal(true, 500)],
    [
      "unexpected status 500 Internal Server Error: server_overloaded",
      internal(true, 500, "server_overloaded"),
    ],
    ["status: 429 Quota exceeded", rateLimited(429, "insufficient_quota")],
    ["unexpected status 400 Bad Request: timeout must be positive", internal(false, 400)],
    ["network error", transport()],
    ["connection reset by peer", transport()],
    ["socket hang up", transport()],
    ["connect ECONNREFUSED 127.0.0.1:9", transport()],
    ["failed to lookup address information: Name does not resolve", transport()],
    ["something odd happened", internal(false)],
  ])("%s", (message, expected) => {
    expectShape(classifyCodexFailure({ message }), expected);
  });
});

describe("classifyCodexFailure: structured facts", () => {
  it("a total deadline names the option and its value", () => {
    const error = classifyCodexFailure({
      timeoutKind: "total",
      timeoutMs: 5000,
      message: "unexpected status 401",
    });
    expectShape(error, timeout(undefined, "timeout"));
    expect(error.message).toContain("exceeded its timeout of 5000 ms (option `timeout`)");
    expect(error.details).toMatchObject({ timeoutMs: 5000, timeoutKind: "total" });
  });

  it("an idle deadline names idleTimeout", () => {
    const error = classifyCodexFailure({ timeoutKind: "idle", timeoutMs: 250 });
    expect(error.details.timeoutKind).toBe("idle");
    expect(error.message).toContain("option `idleTimeout`");
  });

  it("AbortSignal.timeout's TimeoutError, also wrapped in an AbortError, is a timeout", () => {
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expectShape(classifyCodexFailure({ error: reason }), timeout(undefined, "timeout"));
    const abort = Object.assign(new Error("The operation was aborted", { cause: reason }), {
      name: "AbortError",
      code: "ABORT_ERR",
    });
    const error = classifyCodexFailure({ error: abort, timeoutMs: 10 });
    expectShape(error, timeout(undefined, "timeout"));
    expect(error.cause).toBe(abort);
  });

  it("a caller's abort is CODEX_ABORTED, not retryable, with the signal's reason as cause", () => {
    const reason = new Error("user pressed stop");
    const error = classifyCodexFailure({
      aborted: true,
      abortReason: reason,
      message: "unexpected status 500",
    });
    expect(error.code).toBe("CODEX_ABORTED");
    expect(error.retryable).toBe(false);
    expect(error.details.classification).toBe("aborted");
    expect(error.cause).toBe(reason);
    expect(classifyCodexFailure({ aborted: true }).cause).toBeUndefined();
  });

  it.each([
    "ECONNRESET",
    "ECONNREFUSED",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EPIPE",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ECONNABORTED",
  ])("Node error code %s is a transport error, top-level and in the cause chain", (code) => {
    const top = Object.assign(new Error(`boom ${code.toLowerCase()}`), { code });
    const error = classifyCodexFailure({ error: top });
    expectShape(error, transport(code));
    expect(error.message).toContain(`(${code})`);
    expect(error.message).toContain("OPENAI_BASE_URL");
    const nested = new Error("fetch failed", { cause: new Error("inner", { cause: top }) });
    expectShape(classifyCodexFailure({ error: nested }), transport(code));
  });

  it("ETIMEDOUT is a timeout; unrelated errno codes fall through", () => {
    const error = classifyCodexFailure({
      error: Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" }),
    });
    expectShape(error, timeout(undefined, "ETIMEDOUT"));
    expect(error.message).toContain("raise option `timeout`");
    const other = Object.assign(new Error("disk full"), { code: "ENOSPC" });
    expectShape(classifyCodexFailure({ error: other }), internal(false));
  });

  it("spawn ENOENT/EACCES means the codex binary is missing or not executable", () => {
    const enoent = Object.assign(new Error("spawn /opt/codex ENOENT"), {
      code: "ENOENT",
      syscall: "spawn /opt/codex",
      path: "/opt/codex",
    });
    const error = classifyCodexFailure({ error: enoent });
    expectShape(error, config("CODEX_INVALID_CONFIG", "ENOENT"));
    expect(error.message).toBe(
      "Codex binary missing or not executable (ENOENT at /opt/codex); reinstall dependencies (@openai/codex).",
    );
    expect(error.details.path).toBe("/opt/codex");
    const eacces = Object.assign(new Error("spawn /opt/codex EACCES"), { code: "EACCES" });
    const denied = classifyCodexFailure({ error: eacces });
    expectShape(denied, config("CODEX_INVALID_CONFIG", "EACCES"));
    expect(denied.message).not.toContain(" at ");
    const notSpawn = Object.assign(new Error("open /x ENOENT"), { code: "ENOENT", syscall: "open" });
    expectShape(classifyCodexFailure({ error: notSpawn }), internal(false));
  });

  it("status/statusCode fields of errors in the chain count as HTTP status", () => {
    const error = Object.assign(new Error("bad gateway"), { status: 502 });
    expectShape(classifyCodexFailure({ error }), internal(true, 502));
    const wrapped = new Error("outer", { cause: Object.assign(new Error("inner"), { statusCode: 429 }) });
    expectShape(classifyCodexFailure({ error: wrapped }), rateLimited(429));
  });

  it("parses retry-after hints into details.retryAfterMs", () => {
    const seconds = classifyCodexFailure({
      message: "rate limit exceeded: slow down. Please try again in 1.5s.",
    });
    expect(seconds.details.retryAfterMs).toBe(1500);
    expect(seconds.message).toContain("after 1500 ms");
    expect(
      classifyCodexFailure({ message: "Rate limit hit. Please try again in 20ms." }).details.retryAfterMs,
    ).toBe(20);
    expect(
      classifyCodexFailure({ message: "too many requests, retry after 2 minutes" }).details.retryAfterMs,
    ).toBe(120_000);
    expect(
      classifyCodexFailure({ message: "timed out, try again in 3s" }).details.retryAfterMs,
    ).toBeUndefined();
  });

  it("records the missing env var and points at it", () => {
    const error = classifyCodexFailure({ message: "Missing environment variable: `MY_PROVIDER_KEY`." });
    expect(error.details.envVar).toBe("MY_PROVIDER_KEY");
    expect(error.message).toBe(
      "Codex authentication failed: Missing environment variable: `MY_PROVIDER_KEY`. Set MY_PROVIDER_KEY (the model provider's `env_key`).",
    );
  });

  it("builds actionable messages that name options and env vars", () => {
    expect(
      classifyCodexFailure({ message: `unexpected status 401 Unauthorized: bad key, url: ${URL}` }).message,
    ).toBe(
      `Codex authentication failed (HTTP 401): unexpected status 401 Unauthorized: bad key, url: ${URL}. Set CODEX_API_KEY or OPENAI_API_KEY, or run \`codex login\`.`,
    );
    expect(
      classifyCodexFailure({ message: "exceeded retry limit, last status: 429 Too Many Requests" }).message,
    ).toMatch(/^Codex was rate limited \(HTTP 429\): .*Retry with backoff and reduce concurrency/);
    expect(
      classifyCodexFailure({ message: "stream disconnected before completion: idle timeout waiting for SSE" })
        .message,
    ).toContain("`stream_idle_timeout_ms` (option `config`)");
    expect(classifyCodexFailure({ message: "Error loading config.toml: bad" }).message).toContain(
      "`config` overrides",
    );
    expect(classifyCodexFailure({ message: "outputSchema must be a plain JSON object" }).message).toBe(
      "Invalid Codex run options: outputSchema must be a plain JSON object.",
    );
    expect(classifyCodexFailure({ message: "Failed to parse item: {" }).message).toContain(
      "contract mismatch",
    );
    expect(
      classifyCodexFailure({ message: "Codex ran out of room in the model's context window." }).message,
    ).toContain("Shorten the prompt");
    expect(
      classifyCodexFailure({ message: "Incomplete response returned, reason: max_output_tokens" }).message,
    ).toContain("output limit");
    expect(classifyCodexFailure({ message: "HTTP 503" }).message).toBe(
      "Codex failed (HTTP 503): HTTP 503. Retry with backoff.",
    );
    expect(classifyCodexFailure({}).message).toBe("Codex failed: no error message.");
    const long = classifyCodexFailure({ message: `weird ${"x".repeat(5000)}` });
    expect(long.message.length).toBeLessThan(400);
    expect(long.details.upstreamMessage).toHaveLength(2000);
  });

  it("uses the JSON body's message as the upstream message", () => {
    const error = classifyCodexFailure({
      message:
        '{"error":{"message":"Invalid value for model","type":"invalid_request_error","code":"invalid_value"}}',
    });
    expect(error.details.upstreamMessage).toBe("Invalid value for model (invalid_value)");
    expect(error.message).toBe("Codex failed: Invalid value for model (invalid_value).");
    for (const odd of ["{broken", "[1,2]", "null {}", "{} extra }"]) {
      expectShape(classifyCodexFailure({ message: `value ${odd}` }), internal(false));
    }
    expect(classifyCodexFailure({ message: '{"error":"plain string"}' }).details.failureCode).toBeUndefined();
    expect(classifyCodexFailure({ message: '{"message":"bare body"}' }).details.upstreamMessage).toBe(
      "bare body",
    );
    expect(classifyCodexFailure({ message: '{"error":{"code":"weird"}}' }).details.upstreamMessage).toBe(
      '{"error":{"code":"weird"}}',
    );
  });
});

describe("classifyCodexFailure: the SDK's `Codex Exec exited with ...` error", () => {
  const stderr = [
    'WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp"',
    "Reading prompt from stdin...",
    "2026-11-24T09:32:02.834891Z ERROR codex_api::endpoint::responses_websocket: failed to connect to websocket",
    "Error loading config.toml: unknown variant `bogus`, expected `responses`",
    "in `model_providers.fake.wire_api`",
    "",
  ].join("\n");

  it("captures exit code and stderr as details and classifies the stderr error line", () => {
    const exec = new Error(`Codex Exec exited with code 1: ${stderr}`);
    const error = classifyCodexFailure({ error: exec });
    expectShape(error, config("CODEX_INVALID_CONFIG"));
    expect(error.details.exitCode).toBe(1);
    expect(error.details.stderr).toBe(stderr.trim());
    expect(error.details.upstreamMessage).toBe(
      "Error loading config.toml: unknown variant `bogus`, expected `responses` in `model_providers.fake.wire_api`",
    );
    expect(error.message).not.toContain("Codex Exec exited");
    expect(error.message).not.toContain("WARNING");
    expect(error.cause).toBe(exec);
  });

  it("prefers the stream message and keeps stderr as detail", () => {
    const exec = new Error("Codex Exec exited with code 1: WARNING: something\n");
    const error = classifyCodexFailure({
      error: exec,
      message: "exceeded retry limit, last status: 429 Too Many Requests",
    });
    expectShape(error, rateLimited(429));
    expect(error.details).toMatchObject({ exitCode: 1, stderr: "WARNING: something" });
    expect(error.details.upstreamMessage).toBe("exceeded retry limit, last status: 429 Too Many Requests");
  });

  it("takes the last non-log line when no line starts with Error, and caps stderr to its last 4000 chars", () => {
    const big = `${"noise line\n".repeat(1000)}Not logged in\n`;
    const error = classifyCodexFailure({ error: new Error(`Codex Exec exited with code 1: ${big}`) });
    expectShape(error, auth());
    expect(error.details.stderr).toHaveLength(4000);
    expect(error.details.stderr?.endsWith("Not logged in")).toBe(true);
    expect(error.details.upstreamMessage).toBe("Not logged in");
  });

  it("records the signal; empty or log-only stderr falls back to the process end", () => {
    const signal = classifyCodexFailure({
      error: new Error("Codex Exec exited with signal SIGKILL: "),
      stoppedBy: "grace",
    });
    expectShape(signal, internal(false));
    expect(signal.details.signal).toBe("SIGKILL");
    expect(signal.details.stderr).toBe("");
    expect(signal.message).toBe("Codex failed: codex killed by SIGKILL.");
    const logs = classifyCodexFailure({
      error: new Error("Codex Exec exited with code 2: 2026-01-01T00:00:00Z INFO codex: hi\n"),
    });
    expect(logs.details.exitCode).toBe(2);
    expect(logs.message).toBe("Codex failed: codex exited with code 2.");
  });

  it("finds the exit text in the cause chain and classifies the outer message", () => {
    const exec = new Error("Codex Exec exited with code 1: boom");
    const error = classifyCodexFailure({
      error: new Error("Connection failed: error sending request", { cause: exec }),
    });
    expectShape(error, transport());
    expect(error.details.exitCode).toBe(1);
    expect(error.details.upstreamMessage).toBe("Connection failed: error sending request");
  });

  it("classifies thrown strings and non-error values", () => {
    expectShape(classifyCodexFailure({ error: "socket hang up" }), transport());
    expectShape(classifyCodexFailure({ error: 42 }), internal(false));
    expect(classifyCodexFailure({ error: 42 }).cause).toBe(42);
    expectShape(classifyCodexFailure({ error: new Error("") }), internal(false));
    expect(classifyCodexFailure({ error: "  " }).message).toBe("Codex failed: no error message.");
  });

  it("survives cyclic cause chains", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expectShape(classifyCodexFailure({ error: a }), internal(false));
  });
});

describe("classifyCodexFailure: a signal the provider did not send (killed from outside)", () => {
  const exited = (signal: string, stderr = "") =>
    new Error(`Codex Exec exited with signal ${signal}: ${stderr}`);

  it("SIGKILL from outside is a retryable CODEX_TRANSPORT_ERROR that points at the OOM killer", () => {
    const error = classifyCodexFailure({ error: exited("SIGKILL") });
    expectShape(error, transport("process_killed"));
    expect(error.details).toMatchObject({ signal: "SIGKILL", stderr: "" });
    expect(error.details.upstreamMessage).toBeUndefined();
    expect(error.message).toBe(
      "Codex was killed by SIGKILL from outside the provider: most likely the kernel's OOM killer or a container memory limit. Check `dmesg` and the memory limits, or run fewer agents at once. Retry with backoff.",
    );
  });

  it.each(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"])(
    "%s names a shutdown, an operator or a memory daemon",
    (sig) => {
      const error = classifyCodexFailure({ error: exited(sig) });
      expectShape(error, transport("process_killed"));
      expect(error.message).toContain(`killed by ${sig} from outside the provider: a shutdown`);
      expect(error.message).toContain("memory limits");
    },
  );

  it("any other signal (a crash) is retryable too, and says the provider does not send it", () => {
    const error = classifyCodexFailure({ error: exited("SIGSEGV") });
    expectShape(error, transport("process_killed"));
    expect(error.message).toContain("killed by SIGSEGV, a signal the provider does not send");
  });

  it("the signal beats what stderr says, and stderr is kept as a detail", () => {
    const stderr = "ERROR: stream disconnected before completion\nunexpected status 401 Unauthorized\n";
    const error = classifyCodexFailure({ error: exited("SIGKILL", stderr) });
    expectShape(error, transport("process_killed"));
    expect(error.details.stderr).toBe(stderr.trim());
  });

  it("a bare `signal` fact counts like one parsed from the SDK's exit error", () => {
    expectShape(classifyCodexFailure({ signal: "SIGKILL" }), transport("process_killed"));
  });

  it("a fatal message codex reported before the kill stays the cause", () => {
    const error = classifyCodexFailure({ message: "Quota exceeded.", error: exited("SIGKILL") });
    expectShape(error, rateLimited(undefined, "insufficient_quota"));
    expect(error.details.signal).toBe("SIGKILL");
  });

  it("the provider's own kills keep their codes", () => {
    const kill = { error: exited("SIGTERM"), signal: "SIGTERM", stderr: "" };
    expect(classifyCodexFailure({ ...kill, aborted: true, stoppedBy: "abort" }).code).toBe("CODEX_ABORTED");
    const deadline = classifyCodexFailure({
      ...kill,
      timeoutKind: "idle",
      timeoutMs: 9,
      stoppedBy: "timeout",
    });
    expectShape(deadline, timeout(undefined, "timeout"));
    for (const stoppedBy of ["fail_fast", "grace", "consumer"] as const) {
      expectShape(classifyCodexFailure({ ...kill, stoppedBy }), internal(false));
    }
  });

  it("property: signal × who stopped codex → process_killed exactly when nobody in the provider did", () => {
    const signals = Object.keys(constants.signals);
    const stopKinds = [undefined, "abort", "timeout", "fail_fast", "grace", "consumer"] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...signals),
        fc.constantFrom(...stopKinds),
        fc.boolean(),
        fc.oneof(
          fc.string(),
          fc.constantFrom("", "unexpected status 401", "stream disconnected", "Quota exceeded"),
        ),
        (signal, stoppedBy, asThrown, stderr) => {
          const facts: FailureFacts = {
            ...(asThrown ? { error: exited(signal, stderr) } : { signal, stderr }),
            ...(stoppedBy === undefined ? {} : { stoppedBy }),
            ...(stoppedBy === "abort" ? { aborted: true } : {}),
            ...(stoppedBy === "timeout" ? { timeoutKind: "total" as const, timeoutMs: 5 } : {}),
          };
          const error = classifyCodexFailure(facts);
          expect(error.details.signal).toBe(signal);
          expect(error.retryable).toBe(retryableByDefault(error.code, error.details));
          if (stoppedBy === undefined) {
            expectShape(error, transport("process_killed"));
            expect(error.message).toContain(`Codex was killed by ${signal}`);
            expect(error.message).toContain("Retry with backoff.");
          } else {
            expect(error.details.failureCode).not.toBe("process_killed");
            if (stoppedBy === "abort") expect(error.code).toBe("CODEX_ABORTED");
            if (stoppedBy === "timeout") expect(error.code).toBe("CODEX_TIMEOUT");
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("CodexProviderError", () => {
  it("maps every code to its runbook classification and default retryability", () => {
    const table = CODEX_ERROR_CODES.map((code) => {
      const error = new CodexProviderError({ code, message: "m" });
      return [code, error.details.classification, error.retryable];
    });
    expect(table).toEqual([
      ["CODEX_AUTH_ERROR", "auth", false],
      ["CODEX_INVALID_CONFIG", "config", false],
      ["CODEX_INVALID_OPTIONS", "config", false],
      ["CODEX_INVALID_EVENT", "config", false],
      ["CODEX_MISSING_RESULT", "config", false],
      ["CODEX_INVALID_OUTPUT", "config", false],
      ["CODEX_TIMEOUT", "timeout", true],
      ["CODEX_ABORTED", "aborted", false],
      ["CODEX_RATE_LIMITED", "rate_limit", true],
      ["CODEX_TRANSPORT_ERROR", "transport", true],
      ["CODEX_INTERNAL_ERROR", "internal", false],
    ]);
    expect(Object.keys(CODEX_ERROR_CLASSIFICATION)).toEqual([...CODEX_ERROR_CODES]);
    expect(retryableByDefault("CODEX_INTERNAL_ERROR", { statusCode: 500 })).toBe(true);
    expect(retryableByDefault("CODEX_INTERNAL_ERROR", { statusCode: 404 })).toBe(false);
    expect(retryableByDefault("CODEX_INTERNAL_ERROR", { failureCode: "server_overloaded" })).toBe(true);
    expect(retryableByDefault("CODEX_INTERNAL_ERROR")).toBe(false);
  });

  it("is a standard Error with name, code, details, cause; explicit retryable and classification win", () => {
    const cause = new Error("root");
    const error = new CodexProviderError({
      code: "CODEX_INTERNAL_ERROR",
      message: "m",
      retryable: true,
      details: { classification: "transport", eventIndex: 3 },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("CodexProviderError");
    expect(error.retryable).toBe(true);
    expect(error.details).toEqual({ classification: "transport", eventIndex: 3 });
    expect(error.cause).toBe(cause);
    expect("cause" in new CodexProviderError({ code: "CODEX_TIMEOUT", message: "m" })).toBe(false);
    expect(new CodexProviderError({ code: "CODEX_TIMEOUT", message: "m", retryable: false }).retryable).toBe(
      false,
    );
  });

  it("isInstance works across package copies via the Symbol.for marker", () => {
    const otherCopy = {
      [Symbol.for("@alphred/agents.CodexProviderError")]: true,
      name: "CodexProviderError",
      code: "CODEX_TIMEOUT",
      message: "from another copy",
      retryable: true,
      details: { classification: "timeout" },
    };
    expect(CodexProviderError.isInstance(otherCopy)).toBe(true);
    expect(
      CodexProviderError.isInstance(new CodexProviderError({ code: "CODEX_TIMEOUT", message: "m" })),
    ).toBe(true);
    for (const value of [
      new Error("x"),
      { name: "CodexProviderError" },
      null,
      "CodexProviderError",
      undefined,
    ]) {
      expect(CodexProviderError.isInstance(value)).toBe(false);
    }
    expect(classifyCodexFailure({ error: otherCopy })).toBe(otherCopy);
  });

  it("never double wraps, unless a stream message adds information", () => {
    const original = classifyCodexFailure({ message: "socket hang up" });
    expect(classifyCodexFailure({ error: original })).toBe(original);
    expect(classifyCodexFailure({ error: original, message: "  " })).toBe(original);
    const reclassified = classifyCodexFailure({ error: original, message: "Not logged in" });
    expect(reclassified.code).toBe("CODEX_AUTH_ERROR");
    expect(reclassified.cause).toBe(original);
  });

  it("toJSON is log-safe and complete", () => {
    const error = classifyCodexFailure({
      message: "exceeded retry limit, last status: 429 Too Many Requests",
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "CodexProviderError",
      code: "CODEX_RATE_LIMITED",
      message: error.message,
      retryable: true,
      details: {
        classification: "rate_limit",
        statusCode: 429,
        upstreamMessage: "exceeded retry limit, last status: 429 Too Many Requests",
      },
    });
  });
});

describe("classifyCodexFailure: app-server codexErrorInfo facts come before the text", () => {
  it.each([
    ["unauthorized", "whatever", "CODEX_AUTH_ERROR", "unauthorized", false],
    [
      "usageLimitExceeded",
      "You've hit your usage limit.",
      "CODEX_RATE_LIMITED",
      "usage_limit_exceeded",
      true,
    ],
    ["rateLimitExceeded", "slow down", "CODEX_RATE_LIMITED", "rate_limit_exceeded", true],
    ["contextWindowExceeded", "too long", "CODEX_INTERNAL_ERROR", "context_length_exceeded", false],
    ["serverOverloaded", "busy", "CODEX_INTERNAL_ERROR", "server_overloaded", true],
    ["internalServerError", "oops", "CODEX_INTERNAL_ERROR", "internal_server_error", true],
    [
      "internalServerError",
      "We're currently experiencing high demand",
      "CODEX_INTERNAL_ERROR",
      "server_overloaded",
      true,
    ],
    ["sandboxError", "sandbox", "CODEX_INTERNAL_ERROR", "sandbox_error", false],
    ["turnInterrupted", "interrupted", "CODEX_ABORTED", "approval_cancelled", false],
  ])("%s (%s) → %s %s", (errorKind, message, code, failureCode, retryable) => {
    const error = classifyCodexFailure({ message, errorKind });
    expect(error).toMatchObject({ code, retryable, details: { failureCode } });
  });

  it("a variant carrying an HTTP status decides by the status; an unknown variant falls back to the text", () => {
    expect(
      classifyCodexFailure({
        message: "unexpected status",
        errorKind: "httpConnectionFailed",
        statusCode: 401,
      }),
    ).toMatchObject({ code: "CODEX_AUTH_ERROR", details: { statusCode: 401 } });
    expect(classifyCodexFailure({ message: "rate limit exceeded", errorKind: "other" }).code).toBe(
      "CODEX_RATE_LIMITED",
    );
    expect(classifyCodexFailure({ message: "x", errorKind: "turnInterrupted" }).message).toContain(
      "onApproval",
    );
  });
});
