import type { Emulator } from "@alphred/codex-emulator";
import type { CodexProvider } from "../src/providers/codex.js";
import type { CodexBootstrapper } from "../src/providers/codexBootstrap.js";
import type { FaultExpectation, FaultMode, FaultScenario } from "./scenarios.mjs";

/** Base URL of the unresolvable-host rows (reserved `.invalid` TLD). */
export declare const UNRESOLVABLE_BASE_URL: string;
/** Harness cap after which a run that never settled is aborted (its row fails). */
export declare const DEFAULT_CAP_MS: number;
/** Custom-provider `stream_idle_timeout_ms`. */
export declare const CUSTOM_IDLE_MS: number;

/** Whether `unshare -rn` gives codex an empty network namespace here, and why not. */
export declare function checkNetworkIsolation(): Promise<{ ok: boolean; reason?: string }>;

/** The emulator, a refusing port, the isolation check and a scratch dir for one matrix. */
export interface FaultServers {
  emulator: Emulator;
  deadBaseUrl: string;
  isolation: { ok: boolean; reason?: string };
  wrapperDir: string;
  close(): Promise<void>;
}
export declare function startFaultServers(): Promise<FaultServers>;

/** What the executor needs from the package under test (the source in tests, the built dist in the runner). */
export interface FaultDeps {
  /** The provider class: from source in tests, from the built dist in the runner. */
  CodexProvider: typeof CodexProvider;
  bootstrapCodex: CodexBootstrapper;
  servers: FaultServers;
  capMs?: number;
}

/** One measured row. */
export interface FaultRow {
  id: string;
  label: string;
  mode: FaultMode;
  expected: FaultExpectation;
  /** Why the row was not run. */
  skipped?: string;
  /** The harness itself failed. */
  crashed?: string;
  code?: string | null;
  retryable?: boolean;
  statusCode?: number;
  failureCode?: string;
  retryAfterMs?: number;
  exitCode?: number;
  signal?: string;
  /** Milliseconds from `run()` to the settle. */
  ms?: number;
  /** The harness cap aborted the run. */
  capped?: boolean;
  processesLeft?: number;
  /** POSTs the emulator saw for this row (codex's own retries). */
  posts?: number;
  rejections: number;
  killed?: number;
  returnMs?: number;
}

export declare function runScenario(
  scenario: FaultScenario,
  mode: FaultMode,
  deps: FaultDeps,
): Promise<Omit<FaultRow, "rejections">>;

export declare function runMatrix(
  jobs: readonly (readonly [FaultScenario, FaultMode])[],
  deps: FaultDeps,
  options?: { concurrency?: number; onRow?: (row: FaultRow) => void },
): Promise<FaultRow[]>;
