// 1. Per event: what CodexProvider adds to each thread event (validation, mapping, redaction, its async loop),
// against JSON.parse of the same JSONL lines, which the SDK pays anyway. The provider is fed by a typed fake
// client (the public `createClient` option) whose stream does what the SDK's `runStreamed` does per line —
// `JSON.parse` it and yield the result — so the binary and the SDK's process plumbing are out of the picture;
// a bare async iteration of the same stream is subtracted so only the provider's own work remains. Both arms
// parse each line as they go, as the SDK does: the provider reads strings the parser just wrote. (Replaying
// events parsed once before timing made it read every string cold from memory each repetition instead,
// ~0.065 µs per event per pass over the stream's long outputs, a cost no real stream has.)
import { tmpdir } from "node:os";
import { GCProfiler } from "node:v8";
import { CodexProvider } from "@alphred/agents";
import { reportPerEvent } from "./report.mjs";
import { BENCH_API_KEY, realisticLines } from "./stream.mjs";

export { reportPerEvent as report };

let sink = 0; // Keeps results observable so no work is optimized away.

/** The SDK's `runStreamed` stream minus its process: each JSONL line parsed and yielded as it comes. */
async function* sdkStream(lines) {
  for (const line of lines) yield JSON.parse(line);
}

function fakeClientProvider(lines) {
  const env = { ...process.env, CODEX_API_KEY: BENCH_API_KEY };
  delete env.OPENAI_BASE_URL;
  return new CodexProvider({
    env,
    createClient: () => ({
      startThread: () => ({ runStreamed: async () => ({ events: sdkStream(lines) }) }),
    }),
  });
}

const arms = {
  parse(lines) {
    for (const line of lines) sink += JSON.parse(line).type.length;
  },
  async bare(lines) {
    for await (const event of sdkStream(lines)) sink += event.type.length;
  },
  async provider(_lines, provider) {
    let planted = false;
    for await (const event of provider.run("bench", { workingDirectory: tmpdir() })) {
      sink += event.type.length;
      if (event.type === "result") planted ||= JSON.stringify(event).includes(BENCH_API_KEY);
    }
    if (planted) throw new Error("bench: the planted API key survived redaction");
  },
};

/** Bytes allocated on the V8 heap by `body`: heap growth plus whatever each GC during it reclaimed. */
async function allocated(body) {
  globalThis.gc?.();
  const profiler = new GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  await body();
  const after = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  const reclaimed = statistics.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  );
  return after - before + reclaimed;
}

/** Runs the three arms in rotating order; returns the raw samples for `reportPerEvent`. */
export async function measure({ events: count = 20_000, reps = 15, warmup = 3 } = {}) {
  const lines = realisticLines(count);
  const provider = fakeClientProvider(lines);
  // Every provider event checked once, outside timing: the planted key must never come out.
  for await (const event of provider.run("bench", { workingDirectory: tmpdir() })) {
    if (JSON.stringify(event).includes(BENCH_API_KEY)) throw new Error("bench: planted API key leaked");
  }
  const samples = { parse: [], bare: [], provider: [] };
  const order = Object.keys(arms);
  for (let rep = 0; rep < warmup + reps; rep++) {
    for (let k = 0; k < order.length; k++) {
      const arm = order[(rep + k) % order.length];
      const started = performance.now();
      await arms[arm](lines, provider);
      if (rep >= warmup) samples[arm].push(performance.now() - started);
    }
  }
  const alloc = {
    parse: await allocated(() => arms.parse(lines)),
    bare: await allocated(() => arms.bare(lines)),
    provider: await allocated(() => arms.provider(lines, provider)),
  };
  const bytes = lines.reduce((sum, line) => sum + line.length, 0);
  return {
    events: lines.length,
    parseMs: samples.parse,
    bareMs: samples.bare,
    providerMs: samples.provider,
    alloc,
    avgLineBytes: Math.round(bytes / lines.length),
    sink: sink > 0,
  };
}
