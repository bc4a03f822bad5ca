import { constants } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyCodexFailure } from "./codexClassify.js";
import { CodexProviderError } from "./codexError.js";
import { createMapperState, type MapperState, mapThreadEvent } from "./codexMapper.js";
import { type StopReason, settle } from "./codexSettle.js";

const context = { now: () => 1, startedAt: 0, failFastReconnects: false };

/** The error the SDK's stream throws when codex ended by a signal (`exec.ts`: exit code null, signal set). */
const exited = (signal: string, stderr = "") =>
  new Error(`Codex Exec exited with signal ${signal}: ${stderr}`);
/** What the SDK's stream throws when the provider's abort killed codex (Node's `spawn` `signal` option). */
const abortError = () => new DOMException("The operation was aborted", "AbortError");

function stateWith(fatalMessage: string | undefined): MapperState {
  const state = createMapperState();
  mapThreadEvent({ type: "thread.started", thread_id: "thr" }, state, context);
  mapThreadEvent({ type: "turn.started" }, state, context);
  if (fatalMessage !== undefined)
    mapThreadEvent({ type: "turn.failed", error: { message: fatalMessage } }, state, context);
  return state;
}

const failed = (outcome: ReturnType<typeof settle>): CodexProviderError => {
  if (!CodexProviderError.isInstance(outcome)) throw new Error("expected a CodexProviderError");
  return outcome;
};

describe("settle: who killed codex", () => {
  it("a signal without a stop of the provider is a kill from outside: retryable CODEX_TRANSPORT_ERROR", () => {
    const stderr = "Reading prompt from stdin...\n";
    const error = failed(
      settle({
        state: stateWith(undefined),
        streamError: exited("SIGKILL", stderr),
        processStarted: true,
        now: 1,
      }),
    );
    expect(error.toJSON()).toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
      retryable: true,
      details: {
        classification: "transport",
        failureCode: "process_killed",
        signal: "SIGKILL",
        stderr: stderr.trim(),
      },
    });
    expect(error.message).toContain("killed by SIGKILL from outside the provider");
  });

  it("the provider's own stops keep their codes, even when the SDK reports a signal", () => {
    const stops: [StopReason, string][] = [
      [{ kind: "abort", reason: "stop" }, "CODEX_ABORTED"],
      [{ kind: "timeout", timeoutKind: "total", timeoutMs: 10 }, "CODEX_TIMEOUT"],
    ];
    for (const [stop, code] of stops) {
      const error = failed(
        settle({
          state: stateWith(undefined),
          streamError: exited("SIGTERM"),
          stop,
          processStarted: true,
          now: 1,
        }),
      );
      expect(error.code).toBe(code);
      expect(error.details).toMatchObject({ signal: "SIGTERM", stderr: "" });
    }
  });

  it("property: signal × stop reason × fatal message → the documented code; process_killed only without a stop", () => {
    const stops: fc.Arbitrary<StopReason | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.anything().map((reason): StopReason => ({ kind: "abort", reason })),
      fc
        .record({ timeoutKind: fc.constantFrom("total" as const, "idle" as const), timeoutMs: fc.nat() })
        .map((deadline): StopReason => ({ kind: "timeout", ...deadline })),
      fc.constantFrom<StopReason>({ kind: "fail_fast" }, { kind: "grace" }, { kind: "consumer" }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(constants.signals)),
        stops,
        fc.option(
          fc.constantFrom(
            "Quota exceeded.",
            "stream disconnected before completion",
            "unexpected status 401",
          ),
          {
            nil: undefined,
          },
        ),
        fc.string(),
        fc.boolean(),
        (signal, stop, fatal, stderr, sdkSawAbort) => {
          // When the provider stopped codex the SDK may report the abort or, in a race, the signal itself.
          const streamError = stop !== undefined && sdkSawAbort ? abortError() : exited(signal, stderr);
          const error = failed(
            settle({
              state: stateWith(fatal),
              streamError,
              ...(stop === undefined ? {} : { stop }),
              processStarted: true,
              now: 1,
            }),
          );
          const byFatal = fatal === undefined ? undefined : classifyCodexFailure({ message: fatal }).code;
          if (stop === undefined) {
            expect(error.details.signal).toBe(signal);
            if (byFatal === undefined) {
              expect(error.code).toBe("CODEX_TRANSPORT_ERROR");
              expect(error.retryable).toBe(true);
              expect(error.details.failureCode).toBe("process_killed");
            } else {
              expect(error.code).toBe(byFatal);
              expect(error.details.failureCode).not.toBe("process_killed");
            }
            return;
          }
          expect(error.details.failureCode).not.toBe("process_killed");
          expect(error.details).toMatchObject({ signal: "SIGTERM", stderr: "" });
          if (stop.kind === "abort") {
            expect(error.code).toBe("CODEX_ABORTED");
            expect(error.retryable).toBe(false);
          } else if (byFatal !== undefined) {
            expect(error.code).toBe(byFatal);
          } else if (stop.kind === "timeout") {
            expect(error.code).toBe("CODEX_TIMEOUT");
            expect(error.details.timeoutKind).toBe(stop.timeoutKind);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
