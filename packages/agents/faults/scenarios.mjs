// The fault table of issue 7: every failure the codex binary can produce, as plain data. One table, read by the
// runner (`pnpm faults`, both provider paths, built dist) and by the fast variant in the default tests
// (`src/providers/codex.faults.e2e.test.ts`, custom provider only, from source). `execute.mjs` runs a row.
//
// A row: `id` (also the emulator marker), `label`, `fault` (what the emulator answers, or null when the row
// needs no emulator turn), `action` (how the run is driven), `options` (run options per path) and `expect`
// (the outcome per path: `code` null means the run must end without an error).

const msg = (text) => ({ type: "message", text });
const http = (status, extra = {}) => ({ steps: [{ fault: "http", status, ...extra }] });
const fault = (step) => ({ steps: [step] });
/** A failure the runbook classifies the same on both paths. */
const both = (outcome) => ({ default: outcome, custom: outcome });

/** Every fault row. */
export const SCENARIOS = [
  {
    id: "http-401",
    label: "HTTP 401 invalid key",
    turn: http(401, {
      body: {
        error: {
          message: "Incorrect API key provided.",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    }),
    expect: both({ code: "CODEX_AUTH_ERROR", retryable: false, statusCode: 401 }),
  },
  {
    id: "http-403",
    label: "HTTP 403",
    turn: http(403),
    expect: both({ code: "CODEX_AUTH_ERROR", retryable: false, statusCode: 403 }),
  },
  {
    id: "http-429",
    label: "HTTP 429, no retry hint",
    turn: http(429),
    expect: both({ code: "CODEX_RATE_LIMITED", retryable: true, statusCode: 429 }),
  },
  {
    id: "http-429-hint",
    label: "HTTP 429 with Retry-After and hint text",
    turn: http(429, {
      headers: { "retry-after": "1" },
      body: {
        error: {
          message: "Rate limit reached for requests. Please try again in 1.5s.",
          type: "requests",
          code: "rate_limit_exceeded",
        },
      },
    }),
    expect: both({ code: "CODEX_RATE_LIMITED", retryable: true, statusCode: 429 }),
  },
  {
    id: "quota",
    label: "429 insufficient_quota",
    turn: fault({ fault: "insufficient_quota" }),
    expect: both({ code: "CODEX_RATE_LIMITED", retryable: true }),
  },
  {
    id: "http-400",
    label: "HTTP 400 invalid request",
    turn: http(400, {
      body: {
        error: {
          message: "Unsupported parameter: 'temperature'.",
          type: "invalid_request_error",
          param: "temperature",
          code: "unsupported_parameter",
        },
      },
    }),
    expect: both({ code: "CODEX_INTERNAL_ERROR", retryable: false }),
  },
  {
    id: "http-500",
    label: "HTTP 500",
    turn: http(500),
    expect: both({ code: "CODEX_INTERNAL_ERROR", retryable: true }),
  },
  {
    id: "http-502",
    label: "HTTP 502",
    turn: http(502),
    expect: both({ code: "CODEX_INTERNAL_ERROR", retryable: true }),
  },
  {
    id: "http-503",
    label: "HTTP 503",
    turn: http(503),
    expect: both({ code: "CODEX_INTERNAL_ERROR", retryable: true }),
  },
  {
    id: "reset",
    label: "connection reset mid-stream",
    turn: fault({ fault: "reset", items: [msg("partial before reset")] }),
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "eof",
    label: "early EOF (no response.completed)",
    turn: fault({ fault: "eof", items: [msg("partial before eof")] }),
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "response-failed",
    label: "response.failed server_error",
    turn: fault({
      fault: "response_failed",
      code: "server_error",
      message: "The server had an error processing your request.",
    }),
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "overflow",
    label: "context window exceeded",
    turn: fault({ fault: "response_failed", code: "context_length_exceeded" }),
    expect: both({ code: "CODEX_INTERNAL_ERROR", retryable: false }),
  },
  {
    id: "hang",
    label: "hang before headers (`timeout` 3 s)",
    turn: fault({ fault: "hang" }),
    options: { timeout: 3000 },
    expect: both({ code: "CODEX_TIMEOUT", retryable: true }),
  },
  {
    id: "stall",
    label: "stall after headers (`idleTimeout` 3 s)",
    turn: fault({ fault: "silence" }),
    options: { idleTimeout: 3000 },
    expect: both({ code: "CODEX_TIMEOUT", retryable: true }),
  },
  {
    id: "malformed",
    label: "malformed SSE lines, then a normal answer",
    turn: fault({ fault: "malformed", items: [msg("survived garbage")] }),
    expect: both({ code: null }),
  },
  {
    id: "refused",
    label: "connection refused (closed loopback port)",
    action: "refused",
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "unresolvable",
    label: "unresolvable host (`*.invalid`, codex in an empty network namespace)",
    action: "unresolvable",
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "missing-binary",
    label: "binary missing",
    action: "missing-binary",
    expect: both({ code: "CODEX_INVALID_CONFIG", retryable: false }),
  },
  {
    id: "killed",
    label: "codex SIGKILLed mid-turn",
    turn: fault({ fault: "hang" }),
    action: "kill",
    expect: both({ code: "CODEX_TRANSPORT_ERROR", retryable: true }),
  },
  {
    id: "abort",
    label: "caller aborts `signal` mid-turn",
    turn: fault({ fault: "hang" }),
    action: "abort",
    expect: both({ code: "CODEX_ABORTED", retryable: false }),
  },
  {
    id: "return-pending",
    label: "`return()` while a `next()` is pending",
    turn: fault({ fault: "hang" }),
    action: "return",
    expect: both({ code: null }),
  },
];

/** The two ways a user points codex at a server. */
export const MODES = ["default", "custom"];
