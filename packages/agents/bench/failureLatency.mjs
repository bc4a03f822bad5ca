// 3. Failure latency: from the binary's first sign of a non-retryable failure (the first `error` or
// `turn.failed` thread event, seen through a tap on the real SDK stream) to the typed CodexProviderError.
// Cases: 401, 403 and 400 on the default OPENAI_BASE_URL path (401 arrives as `Reconnecting… (… 401 …)`
// notices first), a refused connection on a custom provider, and a dead server on the default path, whose
// bound is measured from run start against a cap after which the bench aborts the run itself.
import { byMarker, createHermeticRun, customProviderConfig, startEmulator } from "@alphred/codex-emulator";
import { tappedProvider } from "./harness.mjs";
import { reportFailureLatency } from "./report.mjs";

export { reportFailureLatency as report };

const httpFault = (status, body) => ({ steps: [{ fault: "http", status, ...(body ? { body } : {}) }] });

/** The bounded cases: emulator turn, provider mode and the code the error must carry. */
export const CASES = [
  {
    name: "401 via Reconnecting… (default path)",
    turn: httpFault(401, {
      error: {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        code: "invalid_api_key",
      },
    }),
    mode: "default",
    expectedCode: "CODEX_AUTH_ERROR",
  },
  { name: "403 (default path)", turn: httpFault(403), mode: "default", expectedCode: "CODEX_AUTH_ERROR" },
  {
    name: "400 invalid request (default path)",
    turn: httpFault(400, {
      error: {
        message: "Unsupported parameter: 'temperature'.",
        type: "invalid_request_error",
        param: "temperature",
        code: "unsupported_parameter",
      },
    }),
    mode: "default",
    expectedCode: "CODEX_INTERNAL_ERROR",
  },
  {
    name: "connection refused (custom provider)",
    dead: true,
    mode: "custom",
    expectedCode: "CODEX_TRANSPORT_ERROR",
  },
];

/** The unbounded-today case: a dead server through the built-in provider. */
export const DEAD_DEFAULT = {
  name: "dead server (default path)",
  dead: true,
  mode: "default",
  expectedCode: "CODEX_TRANSPORT_ERROR",
};

const isFailureSign = (event) => event?.type === "error" || event?.type === "turn.failed";

/** One run of a case: times on the `performance.now()` clock. */
async function runCase(testCase, baseUrl, capMs) {
  const run = await createHermeticRun({ baseUrl });
  const sample = { startMs: performance.now(), firstSignMs: null, errorMs: null, code: null };
  const provider = tappedProvider(
    {
      env: run.env,
      ...(testCase.mode === "custom"
        ? { config: customProviderConfig(baseUrl, { idleTimeoutMs: 5000 }) }
        : {}),
    },
    (event) => {
      if (sample.firstSignMs === null && isFailureSign(event)) sample.firstSignMs = performance.now();
    },
  );
  const cap = AbortSignal.timeout(capMs);
  try {
    sample.startMs = performance.now();
    for await (const _event of provider.run(`[bench-fail:${testCase.name}] go`, {
      workingDirectory: run.workingDirectory,
      signal: cap,
    })) {
      // Drained only; the failure is the point.
    }
    sample.code = "no error";
  } catch (error) {
    // Past the cap the run ended because the bench aborted it, not by itself.
    if (!cap.aborted) sample.errorMs = performance.now();
    sample.code = error?.code ?? String(error);
  } finally {
    await run.cleanup();
  }
  return sample;
}

/**
 * Runs every bounded case `reps` times, one after another, while the dead-server case runs alongside (it is
 * idle: codex just waits between reconnects). Returns `{ cases: [{ ...case, samples }], dead: {...} }`.
 */
export async function measure({ reps = 3, capMs = 30_000, boundedCapMs = 45_000 } = {}) {
  const script = byMarker(
    Object.fromEntries(CASES.filter((c) => c.turn).map((c) => [`[bench-fail:${c.name}]`, c.turn])),
  );
  const emulator = await startEmulator({ script });
  const dead = await startEmulator();
  await dead.close(); // Started and closed at once: its port now refuses connections.
  try {
    const deadRun = runCase(DEAD_DEFAULT, dead.baseUrl, capMs);
    const cases = [];
    for (const testCase of CASES) {
      const samples = [];
      for (let rep = 0; rep < reps; rep++) {
        samples.push(await runCase(testCase, testCase.dead ? dead.baseUrl : emulator.baseUrl, boundedCapMs));
      }
      cases.push({ ...testCase, samples });
    }
    return { cases, dead: { ...DEAD_DEFAULT, capMs, samples: [await deadRun] } };
  } finally {
    await emulator.close();
  }
}
