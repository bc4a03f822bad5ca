#!/usr/bin/env node
// Records the raw SDK event streams of the real `codex` binary against the Codex emulator, one scenario per file:
// packages/agents/src/providers/fixtures/<name>.jsonl, one SDK event per line, plus a last line
// {"__sdkError": "<message>"} when runStreamed throws. The temp working directory and CODEX_HOME are rewritten to
// /tmp/work and /tmp/codex-home; everything else (thread ids, ports, stderr) stays verbatim.
//
// Usage: pnpm --filter @alphred/codex-emulator build && node packages/agents/scripts/record-fixtures.mjs [name...]

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHermeticRun, customProviderConfig, startEmulator } from "@alphred/codex-emulator";
import { Codex } from "@openai/codex-sdk";

const FIXTURES_DIR = fileURLToPath(new URL("../src/providers/fixtures/", import.meta.url));
const CONCURRENCY = 2;
const SCENARIO_TIMEOUT_MS = 90_000;
const PROMPT = "Record this scenario.";

const message = (text) => ({ type: "message", text });
const reply = (...items) => ({ items });
const turn = (...steps) => ({ steps });
const plan = (first, second) => ({
  type: "update_plan",
  plan: [
    { step: "Inspect the repository", status: first },
    { step: "Write the fix", status: second },
  ],
});

/**
 * Each scenario: the emulator script and options, and the transport. `openai` is the SDK's `baseUrl` (the built-in
 * provider, with its websocket probe and default retries, as in production); `custom` is `customProviderConfig`.
 */
const SCENARIOS = {
  message: { script: turn(reply(message("Hello from the Codex emulator."))) },
  reasoning: {
    script: turn(
      reply({ type: "reasoning", text: "Thinking about the request." }, message("Done thinking.")),
    ),
  },
  "exec-exit-0": {
    script: turn(reply({ type: "exec", cmd: "echo hello" }), reply(message("The command printed hello."))),
  },
  "exec-exit-3": {
    script: turn(
      reply({ type: "exec", cmd: "echo out; echo err >&2; exit 3" }),
      reply(message("It failed.")),
    ),
  },
  "apply-patch-add-file": {
    script: turn(
      reply({
        type: "apply_patch",
        patch: "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n",
      }),
      reply(message("Added hello.txt.")),
    ),
  },
  "update-plan": {
    script: turn(
      reply(plan("in_progress", "pending")),
      reply(plan("completed", "in_progress")),
      reply(message("Plan finished.")),
    ),
    config: { tools: { update_plan: { enabled: true } } },
  },
  "web-search": {
    script: turn(reply({ type: "web_search", query: "codex emulator" }, message("Searched the web."))),
  },
  "two-messages": { script: turn(reply(message("First message."), message("Second message."))) },
  reconnecting: {
    script: turn(reply(message("Recovered after falling back."))),
    emulator: { websocketProbe: 404 },
  },
  "http-401": { script: turn({ fault: "http", status: 401 }) },
  "http-429": { script: turn({ fault: "http", status: 429 }) },
  "http-500": { script: turn({ fault: "http", status: 500 }) },
  reset: { script: turn({ fault: "reset", items: [message("Partial answer before the reset.")] }) },
  eof: { script: turn({ fault: "eof", items: [message("Partial answer before the end.")] }) },
  "context-length-exceeded": { script: turn({ fault: "response_failed", code: "context_length_exceeded" }) },
  "idle-timeout": { script: turn({ fault: "silence" }), transport: "custom", idleTimeoutMs: 1000 },
};

async function record(name, scenario) {
  const emulator = await startEmulator({ script: scenario.script, ...scenario.emulator });
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  const custom = scenario.transport === "custom";
  const codex = new Codex({
    baseUrl: custom ? undefined : emulator.baseUrl,
    apiKey: run.env.CODEX_API_KEY,
    env: run.env,
    config: {
      ...(custom ? customProviderConfig(emulator.baseUrl, { idleTimeoutMs: scenario.idleTimeoutMs }) : {}),
      ...scenario.config,
    },
  });
  const thread = codex.startThread({
    workingDirectory: run.workingDirectory,
    model: run.env.CODEX_MODEL,
    sandboxMode: "workspace-write",
    skipGitRepoCheck: true,
  });
  const scrub = (line) =>
    line
      .replaceAll(run.workingDirectory, "/tmp/work")
      .replaceAll(run.codexHome, "/tmp/codex-home")
      .replaceAll(run.env.HOME, "/tmp/home");
  const lines = [];
  const started = Date.now();
  try {
    const { events } = await thread.runStreamed(PROMPT, { signal: AbortSignal.timeout(SCENARIO_TIMEOUT_MS) });
    for await (const event of events) lines.push(scrub(JSON.stringify(event)));
  } catch (error) {
    if (error?.name === "AbortError" || error?.name === "TimeoutError") {
      throw new Error(`scenario ${name} did not finish within ${SCENARIO_TIMEOUT_MS} ms`, { cause: error });
    }
    lines.push(scrub(JSON.stringify({ __sdkError: error instanceof Error ? error.message : String(error) })));
  } finally {
    await emulator.close();
    await run.cleanup();
  }
  await writeFile(path.join(FIXTURES_DIR, `${name}.jsonl`), `${lines.join("\n")}\n`);
  return { name, events: lines.length, ms: Date.now() - started };
}

async function main() {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenarios: ${unknown.join(", ")}`);
  const queue = Object.entries(SCENARIOS).filter(
    ([name]) => requested.length === 0 || requested.includes(name),
  );
  await mkdir(FIXTURES_DIR, { recursive: true });
  const failures = [];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      try {
        const { name, events, ms } = await record(...next);
        console.log(`${name}: ${events} lines in ${ms} ms`);
      } catch (error) {
        failures.push(error);
        console.error(`${next[0]}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures.length > 0) process.exitCode = 1;
}

await main();
