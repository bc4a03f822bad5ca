import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultRow, type FaultServers, runMatrix, startFaultServers } from "../../faults/execute.mjs";
import { problems } from "../../faults/report.mjs";
import { SCENARIOS } from "../../faults/scenarios.mjs";
import { CodexProvider } from "./codex.js";
import { bootstrapCodex } from "./codexBootstrap.js";

// The fast variant of `pnpm faults`: the same fault table (`faults/scenarios.mjs`) and executor, on the real codex
// binary against the emulator, on the custom-provider path only (codex's retries off, so each row fails in about a
// second). `pnpm faults` runs it on the default OPENAI_BASE_URL path too and writes docs/reliability.md.

let servers: FaultServers;
let rows: FaultRow[] = [];

beforeAll(async () => {
  servers = await startFaultServers();
  rows = await runMatrix(
    SCENARIOS.map((scenario) => [scenario, "custom"] as const),
    { CodexProvider, bootstrapCodex, servers, capMs: 30_000 },
    { concurrency: 2 },
  );
}, 180_000);

afterAll(async () => {
  await servers?.close();
});

describe("fault matrix on the custom provider (real binary + emulator)", () => {
  it.each(SCENARIOS.map((scenario) => scenario.id))("%s", (id) => {
    const row = rows.find((candidate) => candidate.id === id);
    expect(row, `no row for ${id}`).toBeDefined();
    if (row === undefined) return;
    if (row.skipped !== undefined) {
      // Only the unresolvable-host row may be skipped, and only where no empty network namespace can be made.
      expect({ id, isolated: servers.isolation.ok }).toEqual({ id: "unresolvable", isolated: false });
      return;
    }
    expect(row.crashed).toBeUndefined();
    const outcome = (code: string | null | undefined, retryable: boolean | undefined) =>
      code === null ? { code } : { code, retryable };
    expect(outcome(row.code, row.retryable)).toEqual(outcome(row.expected.code, row.expected.retryable));
    expect(row.capped).toBe(false);
    expect(row.processesLeft).toBe(0);
    expect(row.rejections).toBe(0);
    expect(problems(row)).toEqual([]);
    // A failure of a started codex says how it ended; a missing binary never started.
    if (row.code !== null && id !== "missing-binary") expect(row.exitCode ?? row.signal).toBeDefined();
  });
});
