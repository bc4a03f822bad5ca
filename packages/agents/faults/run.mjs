#!/usr/bin/env node
// `pnpm faults`: the fault matrix of issue 7. Runs every row of `scenarios.mjs` on the real codex binary against
// the emulator, on the default OPENAI_BASE_URL path and on a custom provider, two rows at a time; prints the
// table, writes docs/reliability.md and exits 1 when a row breaks its expectation. Needs the packages built
// (`pnpm faults` builds them first). Settings by env: FAULTS_ONLY=id,id (a subset), FAULTS_MODES=default|custom,
// FAULTS_CONCURRENCY (default 2), FAULTS_CAP_MS (default 120000). A subset prints but does not rewrite the doc.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bootstrapCodex, CodexProvider, FATAL_EXIT_GRACE_MS } from "@alphred/agents";
import { describeMachine } from "../scripts/machine.mjs";
import { CUSTOM_IDLE_MS, DEFAULT_CAP_MS, runMatrix, startFaultServers } from "./execute.mjs";
import { allPass, formatTable, problems, renderMarkdown } from "./report.mjs";
import { MODES, SCENARIOS } from "./scenarios.mjs";

const env = process.env;
const positive = (name, fallback) => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const only = env.FAULTS_ONLY?.split(",").filter(Boolean);
const modes = env.FAULTS_MODES?.split(",").filter(Boolean) ?? MODES;
for (const mode of modes) if (!MODES.includes(mode)) throw new Error(`FAULTS_MODES: unknown path ${mode}`);
for (const id of only ?? [])
  if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`FAULTS_ONLY: unknown row ${id}`);
const concurrency = positive("FAULTS_CONCURRENCY", 2);
const capMs = positive("FAULTS_CAP_MS", DEFAULT_CAP_MS);
const complete = only === undefined && modes.length === MODES.length;

const codexVersion = createRequire(import.meta.url)("@openai/codex/package.json").version;
const machine = {
  ...describeMachine(),
  codex: codexVersion,
  customIdleMs: CUSTOM_IDLE_MS,
  capMs,
  concurrency,
};

// The slowest rows (codex's own retries on the default path) first, so the workers finish together.
const SLOW_ON_DEFAULT = ["unresolvable", "http-500", "http-502", "http-503", "refused"];
const weight = ([scenario, mode]) =>
  mode === "default" ? (SLOW_ON_DEFAULT.includes(scenario.id) ? 0 : 1) : 2;
const jobs = modes
  .flatMap((mode) => SCENARIOS.filter((s) => only?.includes(s.id) ?? true).map((s) => [s, mode]))
  .sort((a, b) => weight(a) - weight(b));

const started = performance.now();
const date = new Date().toISOString();
const servers = await startFaultServers();
let rows;
try {
  console.log(`faults: ${jobs.length} rows, ${concurrency} at a time…`);
  rows = await runMatrix(
    jobs,
    { CodexProvider, bootstrapCodex, servers, capMs },
    {
      concurrency,
      onRow: (row) => {
        const found = problems(row);
        const verdict = row.skipped ?? (found.length === 0 ? "pass" : `FAIL ${found.join("; ")}`);
        console.log(`  ${row.mode.padEnd(7)} ${row.id.padEnd(15)} ${String(row.code).padEnd(22)} ${verdict}`);
      },
    },
  );
} finally {
  await servers.close();
}
const totalSeconds = (performance.now() - started) / 1000;

const byRow = (id, mode) => rows.find((row) => row.id === id && row.mode === mode);
const measured = (id, mode) => {
  const row = byRow(id, mode);
  return row?.ms === undefined ? "not run" : `${(row.ms / 1000).toFixed(1)} s`;
};
const bounds = [
  `Fatal error reported but codex does not exit: killed after \`FATAL_EXIT_GRACE_MS\` = ${FATAL_EXIT_GRACE_MS} ms.`,
  `401/403 on the default path: \`failFastReconnects\` (default on) fails the run at codex's first \`Reconnecting…\` notice (measured ${measured("http-401", "default")} / ${measured("http-403", "default")}; codex alone retries five times).`,
  `Connection refused: default path ${measured("refused", "default")} (the provider fails at codex's first \`waiting for network\` notice), custom provider ${measured("refused", "custom")} — without any \`timeout\`.`,
  `Unresolvable host (every lookup fails, \`failed to lookup address information: Try again\`): default path ${measured("unresolvable", "default")} — codex makes five \`Reconnecting… n/5\` attempts, falls back from WebSockets to HTTPS, and only then reports \`waiting for network\`, where the provider ends the run; custom provider ${measured("unresolvable", "custom")}. No \`timeout\` set.`,
  `5xx on the default path: codex retries them itself, with visible \`Reconnecting… 1/5\`…\`5/5\` notices (reason \`high demand\` for 500), before it gives up: 500 ${measured("http-500", "default")}, 502 ${measured("http-502", "default")}, 503 ${measured("http-503", "default")} (the emulator saw ${byRow("http-503", "default")?.posts ?? "—"} POSTs for one 503 run); on the custom provider (retries off) ${measured("http-500", "custom")}, ${byRow("http-503", "custom")?.posts ?? "—"} POST(s). Reset, early EOF and \`response.failed\` likewise take ${measured("reset", "default")} / ${measured("eof", "default")} / ${measured("response-failed", "default")} on the default path (five stream retries).`,
  `429 on the default path: no hint fails at once (${measured("http-429", "default")}); with \`Retry-After\`/hint text codex waits and retries first (${measured("http-429-hint", "default")}) and ${byRow("http-429-hint", "default")?.retryAfterMs === undefined ? "the hint does not reach the error (no `retryAfterMs`: codex 0.163 drops it)" : `the error carries \`retryAfterMs\` ${byRow("http-429-hint", "default").retryAfterMs}`}.`,
  "A server that never sends headers, or stalls after them, is bounded only by the run's `timeout`/`idleTimeout` (or a custom provider's `stream_idle_timeout_ms`, which fires first in the custom rows); those rows set 3 s.",
  `\`return()\` with a pending \`next()\`: codex is killed and the pending \`next()\` settles as done (return → settle ${byRow("return-pending", "default")?.returnMs ?? "—"} ms default, ${byRow("return-pending", "custom")?.returnMs ?? "—"} ms custom).`,
];
const notes = [
  "Unresolvable host: the base URL names a host under the reserved `.invalid` TLD, and codex runs through a wrapper that execs it (same pid) in a fresh, empty network namespace (`unshare -rn`): no interface is up and there is no route, so its DNS lookup fails on this machine with ENETUNREACH and no packet leaves it. The runner checks that the namespace has no route before running the row and reports the row as not run when `unshare` is unavailable. A one-off `strace -f -e trace=network` of this row showed every DNS query failing with ENETUNREACH — for the base URL's host and also for `chatgpt.com` and `api.github.com`, which codex 0.163 looks up by itself. A lookup that gets a real NXDOMAIN answer (`Name or service not known`) needs a DNS server and is not run.",
  "Binary killed: once codex's request reached the (hanging) emulator, the row finds the SDK's codex child in `/proc` (by `CODEX_HOME` and parent pid) and SIGKILLs it; the failure carries `signal: SIGKILL`.",
  "Caller abort aborts the run's `signal` 0.5 s after the first event; `return()` is called 0.3 s after a `next()` went pending on a server that never answers.",
  "Malformed SSE: codex skips unparseable `data:` lines, so the run ends normally with a result; that is the expectation.",
];

// Back in table order for the report: default path first, each path in the order of scenarios.mjs.
rows.sort(
  (a, b) =>
    modes.indexOf(a.mode) - modes.indexOf(b.mode) ||
    SCENARIOS.findIndex((s) => s.id === a.id) - SCENARIOS.findIndex((s) => s.id === b.id),
);
console.log(`\n${formatTable(rows)}\n`);
const pass = allPass(rows);
console.log(
  `total ${totalSeconds.toFixed(0)} s — ${pass ? "every row met its expectation" : "FAIL: a row broke its expectation"}`,
);
if (complete) {
  const target = new URL("../../../docs/reliability.md", import.meta.url);
  writeFileSync(target, renderMarkdown({ rows, machine, date, totalSeconds, bounds, notes }));
  console.log(`wrote ${target.pathname}`);
} else console.log("a subset: docs/reliability.md left as it was");
process.exitCode = pass ? 0 : 1;
