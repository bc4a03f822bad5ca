// Helpers of `pnpm bench` (bench.mjs): a synthetic but realistic Codex thread-event stream, in the exact JSONL
// shapes the real binary emits (see src/providers/fixtures/*.jsonl), and small statistics helpers.

/** The API key the bench runs with; planted in some command outputs so redaction has real work to do. */
export const BENCH_API_KEY = "sk-bench-secret-key-0123456789abcdef";

/** ~2 KB of plausible command output (a test runner's log). */
function commandOutput(seed, withSecret) {
  const lines = [];
  for (let line = 0; lines.join("\n").length < 2000; line++) {
    lines.push(
      ` ✓ src/providers/module${(seed + line) % 97}.test.ts > case ${line} passes in ${(seed * 7 + line * 13) % 250} ms (heap ${(seed + line) % 64} MB)`,
    );
  }
  if (withSecret) lines.push(`env: OPENAI_API_KEY=${BENCH_API_KEY} Authorization: Bearer ${BENCH_API_KEY}`);
  return `${lines.join("\n").slice(0, 2000)}\n`;
}

const REASONING =
  "The failing assertion compares the mapped tool_result against the recorded fixture. The command output is " +
  "correct but the exit code is read from the started item, which is still null. Check the completed item first, " +
  "then rerun the focused test file before touching the mapper again.";
const MESSAGE =
  "I ran the focused tests: the mapper now reads the exit code from the completed item. Next I will update the " +
  "fixture expectations and run the whole suite once more.";

/**
 * The thread events of one "work cycle" of an agent (10 events): reasoning, two commands (one failing) with
 * ~2 KB of output each, a patch, a plan update, an interim message and a web search. `k` makes ids unique.
 */
export function cycleEvents(k, { secret = false } = {}) {
  const cmd = (id, command, output, exitCode, status) => ({
    id,
    type: "command_execution",
    command,
    aggregated_output: output,
    exit_code: exitCode,
    status,
  });
  const okCommand = `/bin/bash -lc 'pnpm vitest run src/providers/codexEvents.test.ts -t case${k}'`;
  const badCommand = `/bin/bash -lc 'pnpm tsc --noEmit -p packages/agents/tsconfig.json # ${k}'`;
  const changes = [
    { path: `/tmp/work/packages/agents/src/providers/codexEvents${k % 5}.ts`, kind: "update" },
    { path: `/tmp/work/packages/agents/src/providers/fixtures/case${k}.jsonl`, kind: "add" },
  ];
  const query = `codex sdk thread event item.completed exit_code ${k % 11}`;
  return [
    { type: "item.completed", item: { id: `r_${k}`, type: "reasoning", text: REASONING } },
    { type: "item.started", item: cmd(`c_${k}`, okCommand, "", null, "in_progress") },
    { type: "item.completed", item: cmd(`c_${k}`, okCommand, commandOutput(k, secret), 0, "completed") },
    { type: "item.started", item: cmd(`d_${k}`, badCommand, "", null, "in_progress") },
    { type: "item.completed", item: cmd(`d_${k}`, badCommand, commandOutput(k + 1, false), 2, "failed") },
    { type: "item.started", item: { id: `p_${k}`, type: "file_change", changes, status: "in_progress" } },
    { type: "item.completed", item: { id: `p_${k}`, type: "file_change", changes, status: "completed" } },
    { type: "item.updated", item: todoList(k % 2 === 0) },
    { type: "item.completed", item: { id: `m_${k}`, type: "agent_message", text: MESSAGE } },
    {
      type: "item.completed",
      item: { id: `w_${k}`, type: "web_search", query, action: { type: "search", query } },
    },
  ];
}

function todoList(done) {
  return {
    id: "plan",
    type: "todo_list",
    items: [
      { text: "Reproduce the failing exit code", completed: true },
      { text: "Fix the mapper", completed: done },
      { text: "Run the whole suite", completed: false },
    ],
  };
}

const USAGE = {
  input_tokens: 182_340,
  cached_input_tokens: 150_112,
  cache_write_input_tokens: 0,
  output_tokens: 9_812,
  reasoning_output_tokens: 4_410,
};

/** Head of a turn: thread.started, turn.started and the plan's item.started. */
export function turnHead() {
  return [
    { type: "thread.started", thread_id: "01a20cf0-ab5b-7ad2-addd-86c5e03d4970" },
    { type: "turn.started" },
    { type: "item.started", item: todoList(false) },
  ];
}

/** Tail of a turn: the plan's item.completed, the final message and turn.completed. */
export function turnTail() {
  return [
    { type: "item.completed", item: todoList(true) },
    { type: "item.completed", item: { id: "m_final", type: "agent_message", text: "All tests pass." } },
    { type: "turn.completed", usage: USAGE },
  ];
}

/** One complete turn of about `events` thread events, as JSONL lines (what the SDK reads from the binary). */
export function syntheticTurnLines(events = 2000) {
  const body = [];
  for (let k = 0; body.length + 6 < events; k++) body.push(...cycleEvents(k, { secret: k % 25 === 0 }));
  return [...turnHead(), ...body, ...turnTail()].map((event) => JSON.stringify(event));
}

/** Median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Min and max of numbers, for the spread column. */
export function spread(values) {
  return { min: Math.min(...values), max: Math.max(...values) };
}
