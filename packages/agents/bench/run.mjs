#!/usr/bin/env node
// `pnpm bench`: every performance budget of @alphred/agents (issue 8), measured against baselines in this same
// run. Prints a table, writes docs/benchmarks.md and exits 1 when a budgeted row fails. Needs the packages built
// (`pnpm bench` builds them first) and node --expose-gc (for the memory baselines).
// Settings by env: BENCH_QUICK=1 (fewer repetitions), BENCH_ONLY=events,turn,failure,memory,concurrency, and
// the counts below; see docs/benchmarks.md.
import { writeFileSync } from "node:fs";
import { describeMachine } from "../scripts/machine.mjs";
import * as appServer from "./appServer.mjs";
import * as concurrency from "./concurrency.mjs";
import * as failureLatency from "./failureLatency.mjs";
import * as memory from "./memory.mjs";
import * as perEvent from "./perEvent.mjs";
import * as perTurn from "./perTurn.mjs";
import { allPass, fmt, formatTable, renderMarkdown } from "./report.mjs";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const count = (name, full, fast) => {
  const value = Number(env[name] ?? (quick ? fast : full));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const settings = {
  events: count("BENCH_EVENTS", 20_000, 5_000),
  eventReps: count("BENCH_EVENT_REPS", 15, 5),
  turnPairs: count("BENCH_TURN_PAIRS", 60, 4),
  failureReps: count("BENCH_FAILURE_REPS", 3, 1),
  deadCapMs: count("BENCH_DEAD_CAP_MS", 30_000, 15_000),
  memoryReps: count("BENCH_MEMORY_REPS", 5, 2),
  concurrencyReps: count("BENCH_CONCURRENCY_REPS", 2, 1),
  appServerPairs: count("BENCH_APP_SERVER_PAIRS", 20, 4),
};
const only = new Set((env.BENCH_ONLY ?? "events,turn,memory,concurrency,failure,appserver").split(","));
if (typeof globalThis.gc !== "function")
  console.warn("bench: run node with --expose-gc for stable baselines");

const started = performance.now();
const date = new Date().toISOString();
const machine = describeMachine();
const rows = [];
const notes = [];
const step = async (name, label, body) => {
  if (!only.has(name)) return;
  const t0 = performance.now();
  process.stdout.write(`bench: ${label}… `);
  await body();
  console.log(`${fmt((performance.now() - t0) / 1000, 1)} s`);
};

await step("events", `per event (${settings.events} events × ${settings.eventReps})`, async () => {
  const samples = await perEvent.measure({ events: settings.events, reps: settings.eventReps });
  rows.push(...perEvent.report(samples));
  notes.push(
    `Per event: a turn of ${samples.events} thread events (average line ${samples.avgLineBytes} B) built from the recorded item ` +
      "events in `src/providers/fixtures/*.jsonl` with unique ids and command outputs of 64 B–64 KB, the configured " +
      "API key planted in every 7th output. Three arms per repetition, in rotating order: `JSON.parse` of each line; " +
      "a bare `for await` over an async generator that parses each line as it yields it, as the SDK's `runStreamed` " +
      "does; `CodexProvider.run` fed that same generator through the public `createClient` option (real bootstrap, " +
      "API-key mode, so redaction runs). Figure: median " +
      "of per-repetition (provider − bare) / parse. Allocation: V8 heap bytes allocated by one drain, measured as " +
      "heap growth plus what each GC reclaimed (`v8.GCProfiler`), provider minus bare iteration, per event.",
  );
});

await step("turn", `per turn (${settings.turnPairs} pairs × 2 turns)`, async () => {
  const kinds = await perTurn.measure({ pairs: settings.turnPairs });
  const minPairs = quick ? settings.turnPairs : 20;
  for (const kind of kinds) rows.push(...perTurn.report({ ...kind, minPairs }));
  notes.push(
    "Per turn: the real codex binary through the real SDK against the in-process emulator on the default " +
      "`OPENAI_BASE_URL` path; each arm reuses one client/provider and one hermetic run; pairs alternate which " +
      "arm goes first, after one warm-up turn each. Figure: median of per-pair provider / SDK wall time. First " +
      "event: ms from the call to the first event (`thread.started` / the `system` event).",
  );
});

await step("memory", `memory (${settings.memoryReps} × 20 MB command)`, async () => {
  rows.push(...memory.report(await memory.measure({ reps: settings.memoryReps })));
  notes.push(
    "Memory: one turn whose command prints 20 MiB; the emulator runs in a child process so only the SDK and the " +
      "provider count. Host RSS is sampled every 2 ms and at every event against a baseline taken after GC right " +
      "before the turn (after a small warm-up turn). Codex cuts `aggregated_output` at ~1 MiB; the largest event " +
      "is the JSON of the `tool_result` carrying it (the output twice: `content` and `metadata.output`, one string " +
      "in memory), serialized after the turn so the bench's own copy does not count. The same turn through the raw SDK, alternating with the " +
      "provider's, is reported for reference.",
  );
});

await step("concurrency", `concurrency (1/4/8/16 × ${settings.concurrencyReps})`, async () => {
  for (const level of await concurrency.measure({ reps: settings.concurrencyReps })) {
    rows.push(...concurrency.report(level));
  }
  notes.push(
    "Concurrency: batches of a two-round-trip tool turn (one command, then the answer), each turn its own " +
      "provider and hermetic run, all at once vs one after another, interleaved per level. Figure: median " +
      "concurrent wall / median serial wall of the same level; a level passes at ≤ 0.9× with at least 2 turns " +
      "streaming (first event → result) at the same instant, so turns run one after another fail both ways.",
  );
});

await step(
  "failure",
  `failure latency (${settings.failureReps} × 4 cases, dead-server cap ${settings.deadCapMs} ms)`,
  async () => {
    const { cases, dead } = await failureLatency.measure({
      reps: settings.failureReps,
      capMs: settings.deadCapMs,
    });
    for (const testCase of cases) rows.push(...failureLatency.report(testCase));
    const [deadRow] = failureLatency.report({ ...dead, bound: true });
    rows.push(deadRow);
    notes.push(
      "Failure latency: the provider's real SDK client is wrapped through the public `createClient` option to " +
        "timestamp each raw thread event; the first sign is the first `error` or `turn.failed` event (for 401 and " +
        "403 on the default path the first `Reconnecting… 1/5 (unexpected status 40x …)` notice). The dead server " +
        "(a closed loopback port, default path) runs alongside the other cases and is judged from run start: " +
        (deadRow.pass
          ? `it settled by itself within the ${dead.capMs} ms cap.`
          : `it did not settle by itself, so the bench aborted it at the ${dead.capMs} ms cap and the row fails (codex 0.163 waits for the network forever after \`Reconnecting… 5/5\`).`),
    );
  },
);

await step("appserver", `app-server transport (${settings.appServerPairs} pairs)`, async () => {
  rows.push(...appServer.report(await appServer.measure({ pairs: settings.appServerPairs })));
  notes.push(
    'App-server transport: `CodexProvider` with `transport: "app-server"` (one warm process) against the ' +
      "default exec transport (one `codex exec` per turn), same emulator turn, interleaved pairs after one " +
      "warm-up turn each. Each pair starts a new thread on both arms (the new-thread row) and then runs that " +
      "conversation's next turn (the budgeted warm-turn row): on app-server a turn on the process that already " +
      "holds the thread, on exec `codex exec resume` in a new process. Interrupt: abort at the command's " +
      "`tool_use` of a `sleep` turn; ms " +
      "from `abort()` to the typed `CODEX_ABORTED` (app-server: `turn/interrupt` + `thread/backgroundTerminals/" +
      "clean`; exec: the SDK kills the process). The 10-turn conversation is one thread on each transport: the " +
      "first turn starts it, the next nine resume it with `resumeThreadId`.",
  );
});

const total = (performance.now() - started) / 1000;
notes.push(
  `The machine was shared while measuring (load average ${machine.load} at start), so absolute figures are ` +
    "noisy; ratios pair each arm with a baseline measured next to it.",
);
const settingsText = `${quick ? "BENCH_QUICK=1 (not a proof: fewer repetitions), " : ""}${Object.entries(
  settings,
)
  .map(([key, value]) => `${key}=${value}`)
  .join(", ")}${only.size < 6 ? `, only ${[...only].join(",")}` : ""}; total ${fmt(total, 0)} s`;

console.log(`\n${formatTable(rows)}\n`);
const pass = allPass(rows);
console.log(`${settingsText} — ${pass ? "every budget met" : "FAIL: a budget was missed"}`);
const target = new URL("../../../docs/benchmarks.md", import.meta.url);
writeFileSync(target, renderMarkdown({ rows, machine, date, settings: settingsText, notes }));
console.log(`wrote ${target.pathname}`);
process.exitCode = pass ? 0 : 1;
