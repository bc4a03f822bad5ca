import type { ResultEvent } from "../provider.js";
import { classifyCodexFailure } from "./codexClassify.js";
import { CodexProviderError, type CodexTimeoutKind } from "./codexError.js";
import type { MapperState } from "./codexMapper.js";
import { type OutputSchema, parseStructuredOutput } from "./codexOutputSchema.js";

/** Why the provider stopped codex itself, when it did. */
export type StopReason =
  /** The caller's `signal` aborted. */
  | { kind: "abort"; reason: unknown }
  /** `timeout` or `idleTimeout` fired. */
  | { kind: "timeout"; timeoutKind: CodexTimeoutKind; timeoutMs: number }
  /** The stream carried a failure codex would not end by itself (fail-fast retry notice, malformed event). */
  | { kind: "fail_fast" }
  /** codex reported a fatal error but did not exit within the grace period. */
  | { kind: "grace" }
  /** The consumer stopped iterating (`return()`, `throw()`, `break`, `await using`). */
  | { kind: "consumer" };

/** Every fact of a run's ending. */
export interface EndFacts {
  /** The mapper's record: fatal message, malformed event, held result. */
  state: MapperState;
  /** What the SDK's stream threw, if anything (its text carries codex's exit code and stderr). */
  streamError?: unknown;
  /** Why the provider stopped codex, if it did. */
  stop?: StopReason;
  /** Whether codex was spawned. */
  processStarted: boolean;
  /** Current time in ms, for the result's timestamp. */
  now: number;
  /** The run's `outputSchema`: the result's final message must parse and validate against it. */
  outputSchema?: OutputSchema;
}

/** How much of a rejected final message `CODEX_INVALID_OUTPUT` keeps in `details.output`. */
const OUTPUT_CAP = 2000;

/** The signal the provider's abort sends codex (Node's default kill signal). */
const KILL_SIGNAL = "SIGTERM";

/**
 * The one place a run's ending is decided: turns all facts into the terminal result or exactly one error.
 * Precedence: malformed event > caller abort > fatal stream message > deadline > thrown error > result (with its
 * `outputSchema` check) > missing result. When the provider killed codex, the error says so (`signal: "SIGTERM"`, `stderr: ""`: the SDK
 * keeps a killed child's stderr to itself) and the classifier is told why (`stoppedBy`); a signal in the SDK's exit
 * error without a stop of the provider is a kill from outside (`CODEX_TRANSPORT_ERROR`, `process_killed`).
 */
export function settle(facts: EndFacts): ResultEvent | CodexProviderError {
  const { state, streamError, stop } = facts;
  const killed = facts.processStarted && stop !== undefined;
  const exit = killed ? { signal: KILL_SIGNAL, stderr: "" } : {};
  if (state.invalid !== undefined) return withDetails(state.invalid, exit);
  // The classifier reads a signal without `stoppedBy` as a kill from outside the provider.
  const kill = killed ? { ...exit, stoppedBy: stop.kind } : {};
  if (stop?.kind === "abort")
    return classifyCodexFailure({ aborted: true, abortReason: stop.reason, ...kill });
  // A fatal message codex already reported is the cause, even when a deadline fired while codex was exiting.
  if (state.fatalMessage !== undefined) {
    return classifyCodexFailure({
      message: state.fatalMessage,
      ...state.fatalFacts,
      ...(streamError === undefined || killed ? {} : { error: streamError }),
      ...kill,
    });
  }
  if (stop?.kind === "timeout") {
    return classifyCodexFailure({ timeoutKind: stop.timeoutKind, timeoutMs: stop.timeoutMs, ...kill });
  }
  if (streamError !== undefined) {
    if (CodexProviderError.isInstance(streamError)) return streamError;
    return classifyCodexFailure({ error: streamError, ...kill });
  }
  if (state.pendingResult !== undefined) {
    const result: ResultEvent = { ...state.pendingResult, timestamp: facts.now };
    return facts.outputSchema === undefined ? result : withStructuredOutput(result, facts.outputSchema);
  }
  return new CodexProviderError({
    code: "CODEX_MISSING_RESULT",
    message: `Codex stream ended after ${state.index} events without a terminal result (turn.completed).`,
    details: {
      eventCount: state.index,
      ...(facts.processStarted ? { exitCode: 0, stderr: "" } : {}),
      ...exit,
    },
  });
}

function withDetails(error: CodexProviderError, extra: Record<string, unknown>): CodexProviderError {
  if (Object.keys(extra).length === 0) return error;
  return new CodexProviderError({
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    details: { ...error.details, ...extra },
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

/** The result with its validated `structuredOutput`, or `CODEX_INVALID_OUTPUT` naming what did not match. */
function withStructuredOutput(result: ResultEvent, schema: OutputSchema): ResultEvent | CodexProviderError {
  const checked = parseStructuredOutput(result.content, schema);
  if (checked.ok) {
    const metadata = { ...(result.metadata as NonNullable<ResultEvent["metadata"]>) };
    metadata.structuredOutput = checked.value;
    return { ...result, metadata };
  }
  const first = checked.issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join(".")}` : "";
  return new CodexProviderError({
    code: "CODEX_INVALID_OUTPUT",
    message:
      checked.reason === "not_json"
        ? "Codex's final message is not JSON, so it cannot match option `outputSchema`."
        : `Codex's final message does not match option \`outputSchema\`${where}: ${first?.message ?? "invalid value"}.`,
    details: {
      reason: checked.reason,
      issues: checked.issues,
      output: result.content.slice(0, OUTPUT_CAP),
      threadId: result.metadata?.threadId ?? null,
      ...(result.metadata ? { usage: result.metadata.usage } : {}),
    },
  });
}
