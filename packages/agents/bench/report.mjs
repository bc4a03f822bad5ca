// Pure report functions of `pnpm bench`: raw samples in, table rows out. No clock, no IO, no package imports, so
// the default test suite checks them (report.test.mjs) without building anything.
//
// A row: { name, figure, unit, budget, pass, min, median, max, note }. `figure` is what the budget judges (a
// median of interleaved repetitions unless the row says otherwise), `pass` is true/false for a budgeted row
// and null for an informational one, and min/median/max describe the samples behind the figure.

/** Median of numbers (NaN when empty). */
export function median(values) {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile `q` in [0, 1] of numbers (NaN when empty). */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  // Exact positions skip the interpolation, which would turn Infinity − Infinity into NaN.
  if (low === high) return sorted[low];
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Min, median and max of numbers. */
export function summarize(values) {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/**
 * Most intervals open at the same instant; 1 means they ran one after another. An interval that ends exactly
 * where the next starts does not overlap it.
 */
export function peakOverlap(intervals) {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, step] of edges) {
    open += step;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** A budgeted row: passes when `figure` is within `max` (or at least `min`) and `extraOk` holds. */
export function budgetRow({ name, values, unit, max, min, note = "", figure, extraOk = true }) {
  const stats = summarize(values);
  const judged = figure ?? stats.median;
  const within =
    Number.isFinite(judged) && (max === undefined || judged <= max) && (min === undefined || judged >= min);
  const budget = max !== undefined ? `≤ ${max}${unit}` : `≥ ${min}${unit}`;
  return { name, figure: judged, unit, budget, pass: within && extraOk, ...stats, note };
}

/** An informational row: figures without a budget. */
export function infoRow({ name, values, unit, note = "" }) {
  const stats = summarize(values);
  return { name, figure: stats.median, unit, budget: "—", pass: null, ...stats, note };
}

/**
 * 1. Per event. Samples of one interleaved repetition each: ms to `JSON.parse` the stream's lines, to drain the
 * pre-parsed events through a bare async generator, and through `CodexProvider.run` fed by the same generator;
 * `alloc` holds heap bytes allocated by one drain of each arm.
 */
export function reportPerEvent({ events, parseMs, bareMs, providerMs, alloc, budget = 0.5 }) {
  const overheadRatios = providerMs.map((ms, i) => (ms - bareMs[i]) / parseMs[i]);
  const perEventUs = (list) => list.map((ms) => (ms * 1000) / events);
  const overheadUs = providerMs.map((ms, i) => ((ms - bareMs[i]) * 1000) / events);
  const rows = [
    budgetRow({
      name: "per event: (provider − bare iteration) / JSON.parse",
      values: overheadRatios,
      unit: "×",
      max: budget,
      note: `${events} events/repetition, ${overheadRatios.length} repetitions`,
    }),
    infoRow({ name: "per event: JSON.parse of the line", values: perEventUs(parseMs), unit: " µs" }),
    infoRow({ name: "per event: provider overhead", values: overheadUs, unit: " µs" }),
  ];
  if (alloc) {
    const providerBytes = (alloc.provider - alloc.bare) / events;
    rows.push(
      infoRow({
        name: "per event: provider allocation (− bare iteration)",
        values: [providerBytes],
        unit: " B",
        note: `JSON.parse allocates ${Math.round(alloc.parse / events)} B/event`,
      }),
    );
  }
  return rows;
}

/**
 * 2. Per turn, one kind of emulator turn. `pairs` are interleaved runs of the same turn through the raw SDK
 * (`thread.runStreamed`) and through `provider.run`: total ms and ms to the first event of each.
 */
export function reportPerTurn({ kind, pairs, budget = 1.02, minPairs = 20 }) {
  const ratios = pairs.map((pair) => pair.provider.totalMs / pair.sdk.totalMs);
  const enough = pairs.length >= minPairs;
  return [
    budgetRow({
      name: `per turn (${kind}): provider.run / thread.runStreamed`,
      values: ratios,
      unit: "×",
      max: budget,
      extraOk: enough,
      note: `${pairs.length} interleaved pairs${enough ? "" : ` (< ${minPairs} required)`}; SDK ${fmt(median(pairs.map((p) => p.sdk.totalMs)), 0)} ms, provider ${fmt(median(pairs.map((p) => p.provider.totalMs)), 0)} ms`,
    }),
    infoRow({
      name: `per turn (${kind}): first event, thread.runStreamed`,
      values: pairs.map((pair) => pair.sdk.firstEventMs),
      unit: " ms",
    }),
    infoRow({
      name: `per turn (${kind}): first event, provider.run`,
      values: pairs.map((pair) => pair.provider.firstEventMs),
      unit: " ms",
    }),
  ];
}

/**
 * 3. Failure latency. Each sample: `firstSignMs` (the binary's first failure event, as the SDK yields it, or
 * null when none came), `errorMs` (our typed error, or null when the run did not end by itself before the
 * cap), `code` (the error's code) and `startMs`. Bounded cases judge first sign → typed error; a `bound` case
 * (dead server) judges run start → typed error against `capMs`.
 */
export function reportFailureLatency({ name, samples, budgetMs = 1000, expectedCode, bound, capMs }) {
  const codes = [...new Set(samples.map((sample) => sample.code ?? "none"))].join(",");
  const codeOk = expectedCode === undefined || samples.every((sample) => sample.code === expectedCode);
  if (bound) {
    const ended = samples.filter((sample) => sample.errorMs !== null);
    const totals = samples.map((sample) =>
      sample.errorMs === null ? Number.POSITIVE_INFINITY : sample.errorMs - sample.startMs,
    );
    const finite = totals.filter(Number.isFinite);
    const row = budgetRow({
      name: `failure: ${name}, start → typed error`,
      values: finite.length > 0 ? finite : [Number.POSITIVE_INFINITY],
      unit: " ms",
      max: capMs,
      figure: Math.max(...totals),
      extraOk: ended.length === samples.length && codeOk,
      note:
        ended.length === samples.length
          ? `settled by itself (code ${codes})`
          : `no typed error within the ${capMs} ms cap: unbounded (ended by the bench's abort, code ${codes})`,
    });
    return [row];
  }
  const latencies = samples.map((sample) =>
    sample.firstSignMs === null || sample.errorMs === null ? Number.NaN : sample.errorMs - sample.firstSignMs,
  );
  const valid = latencies.every(Number.isFinite);
  return [
    budgetRow({
      name: `failure: ${name}, first sign → typed error`,
      values: latencies,
      unit: " ms",
      max: budgetMs,
      extraOk: valid && codeOk,
      note: `${samples.length} runs, code ${codes}${codeOk ? "" : ` (expected ${expectedCode})`}${valid ? "" : "; a run had no failure event or no typed error"}`,
    }),
  ];
}

/**
 * 4. Memory. Each sample: host RSS right before the turn (after GC) and its peak during the turn, and the size
 * of the largest provider event the turn carried (bytes of its JSON). `sdkSamples`, the same turn through the
 * raw SDK (its largest raw event), give an informational row.
 */
export function reportMemory({ samples, sdkSamples = [], budget = 2 }) {
  const ratio = (sample) => (sample.peakRss - sample.baselineRss) / sample.largestEventBytes;
  const ratios = samples.map(ratio);
  const mb = (bytes) => `${fmt(bytes / 2 ** 20, 1)} MB`;
  const last = samples.at(-1);
  const sdkLast = sdkSamples.at(-1);
  const sdkRow = sdkLast
    ? [
        infoRow({
          name: "memory: raw SDK RSS growth / its largest event",
          values: sdkSamples.map(ratio),
          unit: "×",
          note: `same turn without the provider, for reference: RSS +${mb(sdkLast.peakRss - sdkLast.baselineRss)}, largest event ${mb(sdkLast.largestEventBytes)}`,
        }),
      ]
    : [];
  return [
    budgetRow({
      name: "memory: host RSS growth / largest event",
      values: ratios,
      unit: "×",
      max: budget,
      note: last
        ? `RSS +${mb(last.peakRss - last.baselineRss)}, largest event ${mb(last.largestEventBytes)}, command printed ${mb(last.printedBytes ?? 0)}`
        : "",
    }),
    ...sdkRow,
  ];
}

/**
 * 5. Concurrency, one level `n`. `serial` and `concurrent` are batches of n turns (one after another / all at
 * once), each `{ wallMs, turns: [{ startMs, firstEventMs, endMs }] }`. Concurrent batches must beat the serial
 * ones measured in the same run by `maxWallRatio` and have ≥ 2 turns streaming at once.
 */
export function reportConcurrency({ n, serial, concurrent, maxWallRatio = 0.9 }) {
  const serialWall = median(serial.map((batch) => batch.wallMs));
  const ratios = concurrent.map((batch) => batch.wallMs / serialWall);
  const latencies = concurrent.flatMap((batch) => batch.turns.map((turn) => turn.endMs - turn.startMs));
  const overlaps = concurrent.map((batch) =>
    peakOverlap(batch.turns.map((turn) => [turn.firstEventMs, turn.endMs])),
  );
  const wall = median(concurrent.map((batch) => batch.wallMs));
  const throughput = (n * 1000) / wall;
  const note = `wall ${fmt(wall, 0)} ms vs serial ${fmt(serialWall, 0)} ms; p50 ${fmt(quantile(latencies, 0.5), 0)} ms, p95 ${fmt(quantile(latencies, 0.95), 0)} ms; ${fmt(throughput, 2)} turns/s; ${Math.min(...overlaps)} streaming at once`;
  if (n < 2)
    return [infoRow({ name: `concurrency ${n}: wall / serial wall`, values: ratios, unit: "×", note })];
  return [
    budgetRow({
      name: `concurrency ${n}: wall / serial wall`,
      values: ratios,
      unit: "×",
      max: maxWallRatio,
      extraOk: Math.min(...overlaps) >= 2,
      note,
    }),
  ];
}

/**
 * 6. The app-server transport. `samples`: interleaved pairs `{ exec, app }` of turn wall ms (cold exec turn, warm
 * app-server turn); `interrupt`: `{ exec, app }` lists of abort → typed error ms; `conversation`: `{ exec, app }`
 * wall ms of `conversationTurns` turns. The budget judges the median per-pair ratio app / exec.
 */
export function reportAppServer({
  samples,
  continued,
  interrupt,
  conversation,
  conversationTurns,
  appFirstTurnMs,
  budget = 0.3,
}) {
  const pairNote = (pairs) =>
    `${pairs.length} interleaved pairs; exec ${fmt(median(pairs.map((p) => p.exec)), 0)} ms, app-server ${fmt(median(pairs.map((p) => p.app)), 0)} ms`;
  return [
    // The warm turn is a turn on the warm process that already holds the thread (the issue's ~50 ms "warm turn");
    // its cold exec counterpart is the same conversation's next turn in a new `codex exec resume` process.
    budgetRow({
      name: "app-server: warm turn / cold exec turn (a conversation's next turn)",
      values: continued.map((pair) => pair.app / pair.exec),
      unit: "×",
      max: budget,
      note: `${pairNote(continued)}; app-server: the process holds the thread; exec: \`codex exec resume\``,
    }),
    infoRow({
      name: "app-server: new-thread turn / cold exec turn (new thread)",
      values: samples.map((pair) => pair.app / pair.exec),
      unit: "×",
      note: `${pairNote(samples)}; app-server: a spare thread's first turn (first turn incl. process start ${fmt(appFirstTurnMs, 0)} ms)`,
    }),
    infoRow({ name: "app-server: abort → CODEX_ABORTED", values: interrupt.app, unit: " ms" }),
    infoRow({ name: "exec: abort → CODEX_ABORTED (kill)", values: interrupt.exec, unit: " ms" }),
    infoRow({
      name: `${conversationTurns}-turn conversation, exec`,
      values: [conversation.exec],
      unit: " ms",
      note: `one thread: a new thread, then ${conversationTurns - 1} turns resuming it (\`codex exec resume\`)`,
    }),
    infoRow({
      name: `${conversationTurns}-turn conversation, app-server`,
      values: [conversation.app],
      unit: " ms",
      note: `one thread: a new thread, then ${conversationTurns - 1} turns resuming it on one warm process`,
    }),
  ];
}

/** Fixed-point formatting that keeps NaN and Infinity readable. */
export function fmt(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function figureText(value, unit) {
  if (value === Number.POSITIVE_INFINITY) return "∞";
  const digits = unit === "×" ? 3 : Math.abs(value) >= 100 ? 0 : 2;
  return `${fmt(value, digits)}${unit}`;
}

const STATUS = { true: "PASS", false: "FAIL", null: "info" };

/** Cells of rows, as strings: measure, figure, budget, status, min/median/max, note. */
export function tableCells(rows) {
  return rows.map((row) => [
    row.name,
    figureText(row.figure, row.unit),
    row.budget,
    STATUS[String(row.pass)],
    `${figureText(row.min, row.unit)} / ${figureText(row.median, row.unit)} / ${figureText(row.max, row.unit)}`,
    row.note,
  ]);
}

const HEADER = ["measure", "figure", "budget", "status", "min / median / max", "note"];

/** The rows as an aligned plain-text table. */
export function formatTable(rows) {
  const cells = [HEADER, ...tableCells(rows)];
  const widths = HEADER.map((_, column) => Math.max(...cells.map((line) => line[column].length)));
  const lines = cells.map((line) =>
    line
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((width) => "-".repeat(width)).join("  "));
  return lines.join("\n");
}

/** True when no budgeted row failed. */
export function allPass(rows) {
  return rows.every((row) => row.pass !== false);
}

/** `docs/benchmarks.md`: the rows, the machine they ran on and how to reproduce them. */
export function renderMarkdown({ rows, machine, date, settings, notes = [] }) {
  const escapePipes = (text) => text.replaceAll("|", "\\|");
  const cells = [HEADER, ...tableCells(rows).map((line) => line.map(escapePipes))];
  // Padded like the formatter (Biome) pads Markdown tables, so the generated file passes `pnpm lint` as is.
  const widths = HEADER.map((_, column) => Math.max(3, ...cells.map((line) => line[column].length)));
  const tableLine = (line) => `| ${line.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  const table = [
    tableLine(cells[0]),
    tableLine(widths.map((width) => "-".repeat(width))),
    ...cells.slice(1).map(tableLine),
  ];
  const failed = rows.filter((row) => row.pass === false).map((row) => row.name);
  return [
    "# Benchmarks",
    "",
    "Written by `pnpm bench` (`packages/agents/bench/run.mjs`); do not edit by hand. Ratios are measured within",
    "one run against a baseline measured in the same run, as medians of interleaved repetitions with their min",
    "and max; `pnpm bench` exits non-zero when a budgeted row fails.",
    "",
    `- Date: ${date}`,
    `- Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGb} GB RAM, ${machine.platform}; Node ${machine.node}; load average at start ${machine.load}`,
    `- Settings: ${settings}`,
    `- Result: ${failed.length === 0 ? "every budget met" : `${failed.length} budget(s) missed: ${failed.join("; ")}`}`,
    "",
    ...table,
    "",
    ...(notes.length > 0 ? ["## Notes", "", ...notes.map((note) => `- ${note}`), ""] : []),
    "## Reproduce",
    "",
    "```bash",
    "pnpm install",
    "pnpm bench                 # builds both packages, runs every measurement (< 5 min on 2 cores)",
    "BENCH_QUICK=1 pnpm bench   # fewer repetitions, a quick look rather than a proof (~1 min)",
    "```",
    "",
    "Repetition counts: `BENCH_EVENT_REPS`, `BENCH_EVENTS`, `BENCH_TURN_PAIRS`, `BENCH_FAILURE_REPS`,",
    "`BENCH_DEAD_CAP_MS`, `BENCH_MEMORY_REPS`, `BENCH_CONCURRENCY_REPS`. `BENCH_ONLY=events,turn,failure,memory,concurrency` runs a",
    "subset (the file is then written with that subset only).",
    "",
  ].join("\n");
}
