// 5. Concurrency: batches of 1, 4, 8 and 16 emulator turns through CodexProvider, all at once and one after
// another, interleaved per level; the concurrent batch must beat the serial batch measured in the same run
// and have turns streaming at the same time. Every turn has its own hermetic run (CODEX_HOME, working dir).
import { CodexProvider } from "@alphred/agents";
import { createHermeticRun, startEmulator } from "@alphred/codex-emulator";
import { providerTurn } from "./harness.mjs";
import { reportConcurrency } from "./report.mjs";

export { reportConcurrency as report };

/** A short tool turn: one command, then the answer (two model round trips). */
export const TURN = {
  steps: [
    { items: [{ type: "exec", cmd: "echo concurrent" }] },
    { items: [{ type: "message", text: "done" }] },
  ],
};

async function batch(runs, concurrent) {
  const started = performance.now();
  const turn = (run) => providerTurn(new CodexProvider({ env: run.env }), run, "[bench-concurrency] go");
  const turns = [];
  if (concurrent) turns.push(...(await Promise.all(runs.map(turn))));
  else for (const run of runs) turns.push(await turn(run));
  return { wallMs: performance.now() - started, turns };
}

/** Returns `{ n, serial, concurrent }[]` for each level, `reps` batches of each kind per level. */
export async function measure({ levels = [1, 4, 8, 16], reps = 1 } = {}) {
  const emulator = await startEmulator({ script: TURN });
  const runs = await Promise.all(
    Array.from({ length: Math.max(...levels) }, () => createHermeticRun({ baseUrl: emulator.baseUrl })),
  );
  try {
    await batch(runs.slice(0, 1), false); // Warm-up: page cache, binary.
    const results = [];
    for (const [index, n] of levels.entries()) {
      const level = { n, serial: [], concurrent: [] };
      for (let rep = 0; rep < reps; rep++) {
        const serialFirst = (index + rep) % 2 === 0;
        for (const concurrent of serialFirst ? [false, true] : [true, false]) {
          level[concurrent ? "concurrent" : "serial"].push(await batch(runs.slice(0, n), concurrent));
        }
      }
      results.push(level);
    }
    return results;
  } finally {
    await emulator.close();
    await Promise.all(runs.map((run) => run.cleanup()));
  }
}
