#!/usr/bin/env node
// Records what the real `codex app-server` sends during scripted turns against the Codex emulator:
// packages/agents/src/providers/appServer/fixtures/<name>.jsonl, one received line per line, verbatim except the
// temp directory (→ /tmp/codex-emulator-run-FIXTURE) and the emulator port (→ PORT). `handshake` holds the
// initialize and thread/start answers; every turn file starts with the turn/start answer and ends with turn/completed.
//
// Usage: pnpm record-app-server-fixtures   (builds the emulator, then runs this script)
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { byMarker, createHermeticRun, customProviderConfig, startEmulator } from "@alphred/codex-emulator";
import { appServerDir, importAppServer } from "./appServerSources.mjs";

const { realCodexIo, resolveCodexBinary, spawnAppServer } = await importAppServer("core.ts");
const { createJsonRpcClient } = await importAppServer("jsonRpc.ts");

const msg = (text) => ({ type: "message", text });
const emulator = await startEmulator({
  script: byMarker({
    "[simple]": { steps: [{ items: [msg("Hello from the emulator.")] }] },
    "[cmd]": {
      steps: [{ items: [{ type: "exec", cmd: "echo out; echo err >&2" }] }, { items: [msg("ran it")] }],
    },
    "[sleep]": { steps: [{ items: [{ type: "exec", cmd: "sleep 30" }] }, { items: [msg("slept")] }] },
    "[401]": { steps: [{ fault: "http", status: 401 }] },
    "[delta]": {
      steps: [
        {
          items: [
            { type: "message", text: "Hello, streamed world.", deltas: ["Hello, ", "streamed ", "world."] },
          ],
        },
      ],
    },
  }),
});
const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
const binary = resolveCodexBinary(realCodexIo, process.platform, process.arch);
const child = spawnAppServer(binary.executablePath, {
  env: { ...run.env, PATH: [...binary.pathDirs, run.env.PATH].join(path.delimiter) },
  cwd: run.workingDirectory,
  args: ["--disable", "plugins"],
});

const raw = [];
const waiters = [];
child.onLine((line) => {
  raw.push(line);
  for (const wake of waiters.splice(0)) wake();
});
let decision;
const client = createJsonRpcClient({
  transport: child,
  onServerRequest: (request) =>
    decision ? request.reply({ decision }) : request.replyError({ code: -32601, message: "unhandled" }),
});
const next = async (predicate, from) => {
  for (;;) {
    const index = raw.slice(from).findIndex((line) => predicate(JSON.parse(line)));
    if (index >= 0) return from + index;
    await new Promise((resolve) => waiters.push(resolve));
  }
};
const normalize = (line) =>
  line
    .replaceAll(path.dirname(run.workingDirectory), "/tmp/codex-emulator-run-FIXTURE")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT");
const save = (name, lines) =>
  writeFile(path.join(appServerDir, "fixtures", `${name}.jsonl`), `${lines.map(normalize).join("\n")}\n`);

async function startThread(approvalPolicy) {
  const from = raw.length;
  const { thread } = await client.request("thread/start", {
    cwd: run.workingDirectory,
    model: "gpt-5.5",
    approvalPolicy,
    sandbox: "workspace-write",
    config: {
      ...customProviderConfig(emulator.baseUrl),
      shell_environment_policy: { exclude: ["CODEX_API_KEY", "OPENAI_API_KEY"] },
    },
  });
  await next((m) => m.method === "thread/started" && m.params.thread.id === thread.id, from);
  return thread.id;
}

async function recordTurn(name, threadId, text, during) {
  const from = raw.length;
  const { turn } = await client.request("turn/start", {
    threadId,
    input: [{ type: "text", text, text_elements: [] }],
  });
  await during?.(turn.id, from);
  const end = await next((m) => m.method === "turn/completed" && m.params.turn.id === turn.id, from);
  const start = raw.findIndex(
    (line, index) => index >= from && JSON.parse(line).result?.turn?.id === turn.id,
  );
  await save(name, raw.slice(start, end + 1));
  console.log(`${name}: ${end + 1 - start} lines`);
}

try {
  await client.request("initialize", {
    clientInfo: { name: "alphred_agents", title: null, version: "0.1.0" },
    capabilities: { experimentalApi: true },
  });
  client.notify("initialized");
  const threadId = await startThread("never");
  await save("handshake", raw.slice());
  await recordTurn("simple-turn", threadId, "[simple] go");
  await recordTurn("command-turn", threadId, "[cmd] go");
  await recordTurn("interrupted-turn", threadId, "[sleep] go", async (turnId, from) => {
    await next((m) => m.method === "item/started" && m.params.item.type === "commandExecution", from);
    await client.request("turn/interrupt", { threadId, turnId });
  });
  await client.request("thread/backgroundTerminals/clean", { threadId });
  await recordTurn("http-401-turn", threadId, "[401] go");
  await recordTurn("delta-turn", threadId, "[delta] go");
  decision = "decline";
  await recordTurn("approval-decline-turn", await startThread("untrusted"), "[cmd] go");
} finally {
  child.endInput();
  await child.exited;
  await emulator.close();
  await run.cleanup();
}
