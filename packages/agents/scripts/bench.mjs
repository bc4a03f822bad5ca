#!/usr/bin/env node
// `pnpm bench`: speed and memory goals of @alphred/agents, as ratios measured within this one run.
//   1. Mapper: JSON.parse of each thread-event line alone (what the SDK already does) vs JSON.parse +
//      mapThreadEvent (validation, mapping, redaction); the same through CodexProvider.run's async loop vs a
//      bare async drain; and heap growth over a 200k-event stream (the mapper's state must not grow).
//   2. End to end, real codex binary against the loopback emulator: bare @openai/codex-sdk vs CodexProvider,
//      paired sequential minimal turns; and 4 concurrent provider turns vs 4 × the median sequential turn.
// Prints a table, PASS/FAIL per goal and a last line {"bench": {...}}; exits 1 when a goal fails.
// Options: --quick (fewer rounds and turns), --skip-e2e (no codex binary), --turns N (paired turns per arm).
// Needs the packages built (`pnpm bench` builds them first).
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CodexProvider, redactSecrets } from "@alphred/agents";
import { createMapperState, finishThreadEvents, mapThreadEvent } from "@alphred/agents/testing";
import { createHermeticRun, startEmulator } from "@alphred/codex-emulator";
import { Codex } from "@openai/codex-sdk";
import {
  BENCH_API_KEY,
  cycleEvents,
  median,
  spread,
  syntheticTurnLines,
  turnHead,
  turnTail,
} from "./bench-events.mjs";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "skip-e2e": { type: "boolean", default: false },
    turns: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  console.log("usage: pnpm bench [--quick] [--skip-e2e] [--turns N]");
  process.exit(0);
}

/**
 * Goals, each a bound on a ratio measured in this run. Mapper and pipeline: every carried text is redacted
 * (3 regexes + a split per secret over ~2 KB command outputs) and validated, which alone costs about one
 * JSON.parse, so a healthy mapper measures ~4–5× parse and the provider loop ~5–6× a bare drain on a busy 2-core
 * box; the bounds leave room for load and catch per-event pathologies (a zod schema built per event: ~20×).
 * End to end the codex binary dominates (~1 s, ~1.4 CPU-s per minimal turn), so the provider must stay within
 * noise of the bare SDK, and concurrent turns cannot beat the 2 cores but must overlap rather than serialize.
 */
const GOALS = {
  mapperTimeRatio: { max: 5, why: "JSON.parse + mapThreadEvent ≤ 5× JSON.parse alone, per event" },
  pipelineTimeRatio: { max: 6, why: "CodexProvider.run loop ≤ 6× a bare SDK-style async drain, per event" },
  heapGrowthRatio: { max: 1.05, why: "heap after 200k events ≤ 1.05× heap after 20k (state does not grow)" },
  e2eProviderRatio: { max: 1.1, why: "CodexProvider wall/turn ≤ 1.10× bare SDK (the binary dominates)" },
  concurrencyRatio: {
    max: 1.15,
    why: "4 concurrent turns' wall ≤ 1.15× 4 sequential (never worse; CPU-bound)",
  },
  concurrencyOverlap: {
    min: 2.5,
    why: "Σ turn walls / batch wall ≥ 2.5 for 4 concurrent turns (1 = serialized)",
  },
};
const E2E_GOALS = ["e2eProviderRatio", "concurrencyRatio", "concurrencyOverlap"];

const MAPPER = {
  turnEvents: 2000,
  turnsPerRound: args.quick ? 1 : 3,
  warmupRounds: 3,
  rounds: args.quick ? 7 : 15,
  heapEvents: 200_000,
};
const E2E = {
  turns: Number(args.turns ?? (args.quick ? 4 : 10)),
  concurrency: 4,
  concurrencyRounds: args.quick ? 1 : 2,
  turnTimeoutMs: 60_000,
  model: "gpt-5.5",
  prompt: "[alphred-bench] Say hello.",
};

if (!Number.isInteger(E2E.turns) || E2E.turns < 1) {
  console.error(`--turns must be a positive integer; got ${args.turns}`);
  process.exit(2);
}

const benchStarted = performance.now();
const gc = exposeGc();
const fmt = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
const rate = (events, ms) => Math.round((events / ms) * 1000);
let sink = 0; // Keeps results observable so no work is optimized away.

/** `global.gc`, exposed at runtime when node was started without --expose-gc. */
function exposeGc() {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc");
}

function collect() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

// ---------------------------------------------------------------- 1. mapper ---------------------------------

const secrets = [BENCH_API_KEY];
const mapperContext = () => ({
  now: Date.now,
  startedAt: Date.now(),
  redact: (text) => redactSecrets(text, secrets),
  secrets,
});

function parseOnly(lines, turns) {
  for (let turn = 0; turn < turns; turn++) {
    for (const line of lines) sink += JSON.parse(line).type.length;
  }
}

function parseAndMap(lines, turns) {
  for (let turn = 0; turn < turns; turn++) {
    const state = createMapperState();
    const context = mapperContext();
    for (const line of lines) sink += mapThreadEvent(JSON.parse(line), state, context).length;
    sink += finishThreadEvents(state, context).content.length;
  }
}

/** What the SDK hands a consumer: an async generator of parsed lines. */
async function* sdkLikeEvents(lines) {
  for (const line of lines) yield JSON.parse(line);
}

async function bareDrain(lines, turns) {
  for (let turn = 0; turn < turns; turn++) {
    for await (const event of sdkLikeEvents(lines)) sink += event.type.length;
  }
}

/** CodexProvider with its SDK client replaced by the same async generator: the whole in-process pipeline. */
function fakeSdkProvider(lines) {
  return new CodexProvider({
    env: { CODEX_API_KEY: BENCH_API_KEY },
    bootstrap: async () => ({
      authMode: "api_key",
      apiKey: BENCH_API_KEY,
      apiKeySource: "CODEX_API_KEY",
      model: E2E.model,
      codexHome: "/nonexistent/codex-home",
      codexPath: "/nonexistent/codex",
      childEnv: {},
    }),
    createClient: () => ({
      startThread: () => ({ runStreamed: async () => ({ events: sdkLikeEvents(lines) }) }),
    }),
    isDirectory: () => true,
  });
}

async function providerDrain(lines, turns) {
  const provider = fakeSdkProvider(lines);
  for (let turn = 0; turn < turns; turn++) {
    for await (const event of provider.run("bench", { workingDirectory: "/nonexistent/work" })) {
      sink += event.type.length;
    }
  }
}

/** Times two variants in alternating order; medians of ms per round and of b/a per round, after warm-up. */
async function compare(a, b, lines) {
  const times = { a: [], b: [] };
  const ratios = [];
  const events = lines.length * MAPPER.turnsPerRound;
  for (let round = 0; round < MAPPER.warmupRounds + MAPPER.rounds; round++) {
    const order = round % 2 === 0 ? ["a", "b"] : ["b", "a"];
    const took = {};
    for (const which of order) {
      const started = performance.now();
      await (which === "a" ? a : b)(lines, MAPPER.turnsPerRound);
      took[which] = performance.now() - started;
    }
    if (round < MAPPER.warmupRounds) continue;
    times.a.push(took.a);
    times.b.push(took.b);
    ratios.push(took.b / took.a);
  }
  const a50 = median(times.a);
  const b50 = median(times.b);
  return {
    events,
    a: { ms: a50, eventsPerSec: rate(events, a50), usPerEvent: (a50 * 1000) / events, ...spread(times.a) },
    b: { ms: b50, eventsPerSec: rate(events, b50), usPerEvent: (b50 * 1000) / events, ...spread(times.b) },
    // Median of per-round ratios: each pair ran back to back, so load from elsewhere cancels out.
    ratio: median(ratios),
  };
}

/** Maps one turn and checks the output: right shape, one result, no planted secret anywhere. */
function checkMapping(lines) {
  const state = createMapperState();
  const context = mapperContext();
  const out = lines.flatMap((line) => mapThreadEvent(JSON.parse(line), state, context));
  out.push(finishThreadEvents(state, context));
  const text = JSON.stringify(out);
  if (text.includes(BENCH_API_KEY)) throw new Error("bench: the planted API key survived mapping");
  if (out.filter((event) => event.type === "result").length !== 1)
    throw new Error("bench: expected 1 result");
  return out.length;
}

/** Feeds one mapper state 200k events (unique item ids) and compares the heap at 10% and at 100%. */
function heapGrowth() {
  const variants = Array.from({ length: 50 }, (_, k) =>
    cycleEvents(k, { secret: k === 0 }).map((event) => JSON.stringify(event)),
  );
  const state = createMapperState();
  const context = mapperContext();
  const feed = (line, suffix) => {
    const event = JSON.parse(line);
    if (suffix && event.item && event.item.id !== "plan") event.item.id += suffix;
    sink += mapThreadEvent(event, state, context).length;
  };
  for (const event of turnHead()) feed(JSON.stringify(event));
  const cycles = Math.ceil(MAPPER.heapEvents / 10);
  const checkpoint = Math.floor(cycles / 10);
  let before = 0;
  for (let k = 0; k < cycles; k++) {
    if (k === checkpoint) before = collect();
    for (const line of variants[k % variants.length]) feed(line, `#${k}`);
  }
  const after = collect();
  const pendingIds = state.announced.size;
  for (const event of turnTail()) feed(JSON.stringify(event));
  sink += finishThreadEvents(state, context).content.length;
  const measured = state.index;
  return {
    events: measured,
    heapBeforeMB: before / 2 ** 20,
    heapAfterMB: after / 2 ** 20,
    bytesPerEvent: (after - before) / ((cycles - checkpoint) * 10),
    pendingIds,
    ratio: after / before,
  };
}

// ---------------------------------------------------------------- 2. end to end ------------------------------

const threadOptions = (workingDirectory) => ({
  workingDirectory,
  model: E2E.model,
  skipGitRepoCheck: true,
  // CodexProvider's defaults, so both arms ask the binary for the same thing.
  sandboxMode: "workspace-write",
  approvalPolicy: "never",
});

/** One minimal turn through the bare SDK; ms from client creation to the drained stream. */
async function sdkTurn(run) {
  const started = performance.now();
  const codex = new Codex({ baseUrl: run.env.OPENAI_BASE_URL, apiKey: run.env.CODEX_API_KEY, env: run.env });
  const thread = codex.startThread(threadOptions(run.workingDirectory));
  const { events } = await thread.runStreamed(E2E.prompt, { signal: AbortSignal.timeout(E2E.turnTimeoutMs) });
  let last;
  for await (const event of events) last = event;
  const ms = performance.now() - started;
  if (last?.type !== "turn.completed") throw new Error(`bench: SDK turn ended with ${JSON.stringify(last)}`);
  return ms;
}

/** One minimal turn through CodexProvider with the same environment; ms from construction to `result`. */
async function providerTurn(run) {
  const started = performance.now();
  const provider = new CodexProvider({ env: run.env });
  let last;
  for await (const event of provider.run(E2E.prompt, {
    workingDirectory: run.workingDirectory,
    timeout: E2E.turnTimeoutMs,
  })) {
    last = event;
  }
  const ms = performance.now() - started;
  if (last?.type !== "result") throw new Error(`bench: provider turn ended with ${JSON.stringify(last)}`);
  return ms;
}

/** Runs `body` on `count` fresh hermetic runs, created and removed outside its timing. */
async function withRuns(count, baseUrl, body) {
  const runs = await Promise.all(Array.from({ length: count }, () => createHermeticRun({ baseUrl })));
  try {
    return await body(runs);
  } finally {
    await Promise.all(runs.map((run) => run.cleanup()));
  }
}

/** CPU ms of reaped children (the codex processes) so far; Linux only, else NaN. */
function childCpuMs() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, in USER_HZ (100).
  } catch {
    return Number.NaN;
  }
}

async function endToEnd() {
  const emulator = await startEmulator();
  const { baseUrl } = emulator;
  try {
    const one = (turn) => withRuns(1, baseUrl, ([run]) => turn(run));
    await one(sdkTurn); // Warm-up: page cache, binary, first-run costs.
    await one(providerTurn);
    const sdk = [];
    const provider = [];
    const ratios = [];
    const cpuBefore = childCpuMs();
    for (let i = 0; i < E2E.turns; i++) {
      // Alternate which arm goes first; each pair runs back to back, so outside load hits both alike.
      const first = i % 2 === 0 ? await one(sdkTurn) : await one(providerTurn);
      const second = i % 2 === 0 ? await one(providerTurn) : await one(sdkTurn);
      const [s, p] = i % 2 === 0 ? [first, second] : [second, first];
      sdk.push(s);
      provider.push(p);
      ratios.push(p / s);
    }
    const cpuPerTurn = (childCpuMs() - cpuBefore) / (2 * E2E.turns);
    // N sequential turns take N × the median sequential provider turn above (measured, not assumed).
    const sequential = E2E.concurrency * median(provider);
    const concurrent = [];
    const overlaps = [];
    for (let round = 0; round < E2E.concurrencyRounds; round++) {
      const { wall, turns } = await withRuns(E2E.concurrency, baseUrl, async (runs) => {
        const started = performance.now();
        const turns = await Promise.all(runs.map(providerTurn));
        return { wall: performance.now() - started, turns };
      });
      concurrent.push(wall);
      overlaps.push(turns.reduce((sum, ms) => sum + ms, 0) / wall);
    }
    return {
      turns: E2E.turns,
      sdk: { ms: median(sdk), ...spread(sdk) },
      provider: { ms: median(provider), ...spread(provider) },
      ratio: median(ratios),
      overheadMs: median(provider) - median(sdk),
      cpuPerTurn,
      sequential: { ms: sequential },
      concurrent: { ms: median(concurrent), ...spread(concurrent) },
      concurrencyRatio: median(concurrent) / sequential,
      overlap: median(overlaps),
    };
  } finally {
    await emulator.close();
  }
}

// ---------------------------------------------------------------- run and report ----------------------------

const lines = syntheticTurnLines(MAPPER.turnEvents);
const avgBytes = lines.reduce((sum, line) => sum + line.length, 0) / lines.length;
const mappedEvents = checkMapping(lines);
console.log(
  `mapper: synthetic turn of ${lines.length} thread events (avg ${Math.round(avgBytes)} B/line → ${mappedEvents} provider events), ` +
    `${MAPPER.turnsPerRound} turns/round, median of ${MAPPER.rounds} paired rounds after ${MAPPER.warmupRounds} warm-up`,
);
const mapper = await compare(parseOnly, parseAndMap, lines);
const pipeline = await compare(bareDrain, providerDrain, lines);
const heap = heapGrowth();

let e2e;
if (!args["skip-e2e"]) {
  console.log(
    `e2e: real codex binary + loopback emulator, ${E2E.turns} paired minimal turns after 1 warm-up per arm, ` +
      `then ${E2E.concurrencyRounds}× ${E2E.concurrency} concurrent provider turns`,
  );
  e2e = await endToEnd();
}

let failed = false;
const rows = [["measure", "a (baseline)", "b (ours)", "b/a", "goal", ""]];
const us = (side) => `${fmt(side.usPerEvent)} µs/ev (${fmt(side.eventsPerSec / 1000, 0)}k/s)`;
const ms = (side) => `${fmt(side.ms, 0)} ms (${fmt(side.min, 0)}–${fmt(side.max, 0)})`;
row("mapper: JSON.parse vs +mapThreadEvent", us(mapper.a), us(mapper.b), mapper.ratio, "mapperTimeRatio");
row(
  "pipeline: SDK-style drain vs provider.run",
  us(pipeline.a),
  us(pipeline.b),
  pipeline.ratio,
  "pipelineTimeRatio",
);
row(
  `heap: ${heap.events} events, one mapper state`,
  `${fmt(heap.heapBeforeMB)} MB @10%`,
  `${fmt(heap.heapAfterMB)} MB @100%`,
  heap.ratio,
  "heapGrowthRatio",
);
if (e2e) {
  row("e2e turn: bare SDK vs CodexProvider", ms(e2e.sdk), ms(e2e.provider), e2e.ratio, "e2eProviderRatio");
  row(
    `e2e: ${E2E.concurrency} sequential vs ${E2E.concurrency} concurrent turns`,
    `${fmt(e2e.sequential.ms, 0)} ms (${E2E.concurrency}× median)`,
    `${fmt(e2e.concurrent.ms, 0)} ms (median of ${E2E.concurrencyRounds})`,
    e2e.concurrencyRatio,
    "concurrencyRatio",
  );
  row(
    `e2e: overlap of ${E2E.concurrency} concurrent turns`,
    "1.00 if serialized",
    `${E2E.concurrency}.00 if fully parallel`,
    e2e.overlap,
    "concurrencyOverlap",
  );
}

function row(label, a, b, ratio, goal) {
  const { min, max } = GOALS[goal];
  const pass = (max === undefined || ratio <= max) && (min === undefined || ratio >= min);
  failed ||= !pass;
  const bound = max === undefined ? `≥ ${min}` : `≤ ${max}×`;
  rows.push([
    label,
    a,
    b,
    `${fmt(ratio, 3)}${goal === "concurrencyOverlap" ? "" : "×"}`,
    bound,
    pass ? "PASS" : "FAIL",
  ]);
}

const widths = rows[0].map((_, column) => Math.max(...rows.map((cells) => cells[column].length)));
console.log("");
for (const [index, cells] of rows.entries()) {
  console.log(
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd(),
  );
  if (index === 0) console.log(widths.map((width) => "-".repeat(width)).join("  "));
}
console.log("");
console.log(
  `mapper rounds: a ${fmt(mapper.a.min)}–${fmt(mapper.a.max)} ms, b ${fmt(mapper.b.min)}–${fmt(mapper.b.max)} ms ` +
    `per ${mapper.events} events; heap Δ ${fmt(heap.bytesPerEvent, 2)} B/event, ` +
    `${heap.pendingIds} tool item(s) open at 100% (the turn's plan)`,
);
if (e2e) {
  console.log(
    `e2e: provider − SDK ${fmt(e2e.overheadMs, 0)} ms/turn (medians); codex child CPU ${fmt(e2e.cpuPerTurn, 0)} ms/turn ` +
      `on ${availableParallelism()} cores, so concurrent turns are CPU-bound here`,
  );
}
for (const [name, goal] of Object.entries(GOALS)) {
  if (e2e || !E2E_GOALS.includes(name)) console.log(`goal ${name}: ${goal.why}`);
}
const totalSeconds = (performance.now() - benchStarted) / 1000;
console.log(`total ${fmt(totalSeconds, 1)} s — ${failed ? "FAIL" : "all goals PASS"}`);

const round3 = (value) => Math.round(value * 1000) / 1000;
console.log(
  JSON.stringify({
    bench: {
      mapperTimeRatio: round3(mapper.ratio),
      pipelineTimeRatio: round3(pipeline.ratio),
      heapGrowthRatio: round3(heap.ratio),
      ...(e2e
        ? {
            e2eProviderRatio: round3(e2e.ratio),
            concurrencyRatio: round3(e2e.concurrencyRatio),
            concurrencyOverlap: round3(e2e.overlap),
          }
        : {}),
      eventsPerSec: {
        parse: mapper.a.eventsPerSec,
        parseAndMap: mapper.b.eventsPerSec,
        sdkDrain: pipeline.a.eventsPerSec,
        providerRun: pipeline.b.eventsPerSec,
      },
      ...(e2e ? { msPerTurn: { sdk: Math.round(e2e.sdk.ms), provider: Math.round(e2e.provider.ms) } } : {}),
      goals: Object.fromEntries(
        Object.entries(GOALS)
          .filter(([name]) => e2e || !E2E_GOALS.includes(name))
          .map(([name, { min, max }]) => [name, max === undefined ? { min } : { max }]),
      ),
      pass: !failed,
      totalSeconds: round3(totalSeconds),
      sink: sink > 0,
    },
  }),
);
process.exitCode = failed ? 1 : 0;
