// Not part of `pnpm bench`: a CPU profile of the per-event path, to aim optimization work.
//   pnpm -r exec tsup --silent && node --cpu-prof --cpu-prof-dir=.profile packages/agents/bench/profile.mjs
//   node packages/agents/bench/profile.mjs --summarize .profile/<file>.cpuprofile
// The first runs CodexProvider.run over the per-event bench's realistic stream (BENCH_EVENTS events,
// BENCH_PROFILE_REPS times); the second prints the top self-time functions and inclusive time of the package's.
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { CodexProvider } from "@alphred/agents";
import { BENCH_API_KEY, realisticLines } from "./stream.mjs";

if (process.argv[2] === "--summarize") {
  summarize(JSON.parse(readFileSync(process.argv[3], "utf8")));
} else {
  const lines = realisticLines(Number(process.env.BENCH_EVENTS ?? 20_000));
  const env = { ...process.env, CODEX_API_KEY: BENCH_API_KEY };
  delete env.OPENAI_BASE_URL;
  // As the SDK's stream (and the per-event bench): each line parsed as it is yielded.
  async function* replay() {
    for (const line of lines) yield JSON.parse(line);
  }
  const provider = new CodexProvider({
    env,
    createClient: () => ({ startThread: () => ({ runStreamed: async () => ({ events: replay() }) }) }),
  });
  const reps = Number(process.env.BENCH_PROFILE_REPS ?? 30);
  let count = 0;
  const started = performance.now();
  for (let rep = 0; rep < reps; rep++) {
    for await (const _event of provider.run("profile", { workingDirectory: tmpdir() })) count++;
  }
  const ms = performance.now() - started;
  console.log(`${count} provider events from ${lines.length * reps} thread events in ${ms.toFixed(0)} ms`);
}

function summarize(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const interval = (profile.endTime - profile.startTime) / profile.samples.length / 1000; // ms per sample
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const key = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
  };
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map();
  for (const [id, hits] of counts) {
    const node = byId.get(id);
    self.set(key(node), (self.get(key(node)) ?? 0) + hits);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = key(byId.get(at));
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    }
  }
  const total = profile.samples.length;
  const print = (title, map, filter = () => true, limit = 25) => {
    console.log(`\n${title}`);
    for (const [name, hits] of [...map]
      .filter(([name]) => filter(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)) {
      console.log(
        `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${(hits * interval).toFixed(0).padStart(6)} ms  ${name}`,
      );
    }
  };
  print("self time", self);
  print("inclusive time, package and zod frames", inclusive, (name) => /dist\/|zod/.test(name), 40);
}
