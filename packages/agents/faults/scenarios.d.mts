import type { Turn } from "@alphred/codex-emulator";

/** The two ways a user points codex at a server: built-in provider via OPENAI_BASE_URL, or a custom provider. */
export type FaultMode = "default" | "custom";

/** The outcome a row must have on one path; `code: null` means the run ends without an error. */
export interface FaultExpectation {
  /** Expected `CodexProviderError.code`, or null for a clean end. */
  code: string | null;
  /** Expected `retryable` (ignored when `code` is null). */
  retryable?: boolean;
  /** The HTTP status the error should carry, where the binary passes one on (reported, not judged). */
  statusCode?: number;
}

/** One row of the fault table. */
export interface FaultScenario {
  /** Stable id; also the emulator marker `[faults:<id>]`. */
  id: string;
  /** What fails, for the report. */
  label: string;
  /** The emulator's answer for this row, when it needs one. */
  turn?: Turn;
  /** How the run is driven when it is not simply drained. */
  action?: "refused" | "unresolvable" | "missing-binary" | "kill" | "abort" | "return";
  /** Run options the row sets (`timeout`, `idleTimeout`). */
  options?: { timeout?: number; idleTimeout?: number };
  /** Expected outcome per path. */
  expect: Record<FaultMode, FaultExpectation>;
}

/** Every fault row. */
export declare const SCENARIOS: readonly FaultScenario[];
/** Both paths. */
export declare const MODES: readonly FaultMode[];
