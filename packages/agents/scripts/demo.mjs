#!/usr/bin/env node
// `pnpm demo`: a realistic coding turn through CodexProvider and the real codex binary, then a second turn that
// resumes the thread in a new provider and asks for a typed answer (`outputSchema`), each with its own usage.
// Default: against the embedded loopback emulator (no credentials). `--live "<prompt>"`: the real API.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs, styleText } from "node:util";
import { CodexProvider, CodexProviderError } from "@alphred/agents";
import { byMarker, createHermeticRun, startEmulator } from "@alphred/codex-emulator";
import { z } from "zod";

const { values } = parseArgs({
  options: {
    live: { type: "string" },
    cwd: { type: "string" },
    timeout: { type: "string", default: "120000" },
    transport: { type: "string", default: "exec" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(`usage: pnpm demo                      # emulated turn, no credentials
       pnpm demo --live "<prompt>"     # real API: needs CODEX_API_KEY, OPENAI_API_KEY or codex login
options: --cwd <dir> (live working directory, default: current), --timeout <ms> (default 120000),
         --transport exec|app-server (default exec; app-server streams the answer as it is written)`);
  process.exit(0);
}
if (values.transport !== "exec" && values.transport !== "app-server") {
  console.error(`--transport must be exec or app-server, got ${values.transport}`);
  process.exit(2);
}
const transport = values.transport;
const ANSWER = "I added `hello.md` with a short greeting and printed it to confirm the content.";

const MARKER = "[alphred-demo]";
const DEMO_PROMPT = `${MARKER} Add a hello.md greeting to this repository and show me its contents.`;
const PATCH = [
  "*** Begin Patch",
  "*** Add File: hello.md",
  "+# Hello",
  "+",
  "+Written by Codex through @alphred/agents.",
  "*** End Patch",
].join("\n");

/** The emulated turn: reasoning, a plan, a shell command, a patch, a check, then the answer. */
const DEMO_TURN = {
  steps: [
    {
      items: [
        {
          type: "reasoning",
          text: "The user wants a greeting file. Look around first, then add hello.md with a patch.",
        },
        {
          type: "update_plan",
          plan: [
            { step: "Inspect the repository", status: "in_progress" },
            { step: "Create hello.md", status: "pending" },
            { step: "Show the result", status: "pending" },
          ],
        },
      ],
    },
    { items: [{ type: "exec", cmd: "ls -A && git status --short --branch" }] },
    { items: [{ type: "apply_patch", patch: PATCH }] },
    { items: [{ type: "exec", cmd: "cat hello.md" }] },
    {
      items: [
        {
          type: "update_plan",
          plan: [
            { step: "Inspect the repository", status: "completed" },
            { step: "Create hello.md", status: "completed" },
            { step: "Show the result", status: "completed" },
          ],
        },
      ],
    },
    {
      // Streamed word by word (`response.output_text.delta`), slowly enough to watch with --transport app-server.
      delayMs: 40,
      items: [{ type: "message", text: ANSWER, deltas: ANSWER.split(/(?<= )/) }],
    },
  ],
};

const SUMMARY_MARKER = "[alphred-demo:summary]";
const SUMMARY_PROMPT = `${SUMMARY_MARKER} Summarize what you changed as JSON.`;
/** The typed answer the resumed turn asks for. */
const Summary = z.object({
  files: z.array(z.string()),
  lines: z.number().int(),
  summary: z.string(),
});
/** The resumed turn: the model answers with JSON matching `Summary` (the request carries it as text.format). */
const SUMMARY_TURN = {
  steps: [
    {
      items: [
        {
          type: "json",
          value: { files: ["hello.md"], lines: 3, summary: "Added hello.md with a greeting." },
        },
      ],
      usage: { inputTokens: 2400, cachedInputTokens: 1800, outputTokens: 40, reasoningTokens: 8 },
    },
  ],
};

const COLORS = {
  system: "gray",
  assistant: "green",
  tool_use: "cyan",
  tool_result: "blue",
  usage: "magenta",
  result: "yellow",
};
const paint = (color, text) => styleText(color, text);

function oneLine(text, max = 100) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function describe(event, toolStarts) {
  const meta = event.metadata ?? {};
  switch (event.type) {
    case "system":
      return `${meta.subtype}${meta.subtype === "reconnecting" ? ` ${meta.attempt ?? "?"}/${meta.maxAttempts ?? "?"}` : ""}  ${oneLine(event.content)}`;
    case "tool_use":
      if (meta.phase === "started") toolStarts.set(meta.itemId, event.timestamp);
      return `${meta.itemType} ${meta.phase}  ${oneLine(event.content)}`;
    case "tool_result": {
      const began = toolStarts.get(meta.itemId) ?? event.timestamp;
      const parts = [meta.itemType, meta.status ?? "done"];
      if (meta.itemType === "command_execution") parts.push(`exit ${meta.exitCode}`);
      parts.push(`${event.timestamp - began} ms`);
      return `${parts.join(" · ")}  ${oneLine(event.content)}`;
    }
    case "usage":
      return oneLine(event.content);
    default:
      return oneLine(event.content);
  }
}

async function runTurn(provider, prompt, workingDirectory, timeout, options = {}) {
  const started = Date.now();
  const relative = (text) => text.split(`${workingDirectory}/`).join("./");
  const toolStarts = new Map();
  let result;
  console.log(paint("bold", `\n▶ codex · ${workingDirectory}`));
  console.log(paint("dim", `  prompt: ${oneLine(prompt, 110)} · transport ${transport}\n`));
  if (options.resumeThreadId) console.log(paint("dim", `  resuming thread ${options.resumeThreadId}\n`));
  let streaming = false;
  for await (const event of provider.run(prompt, {
    workingDirectory,
    timeout,
    partialMessages: true,
    ...options,
  })) {
    const elapsed = `${String(event.timestamp - started).padStart(6)} ms`;
    if (event.type === "assistant" && event.metadata?.partial) {
      // Live text (app-server only): written as it arrives; the complete message follows as a normal event.
      if (!streaming)
        process.stdout.write(`${paint("dim", elapsed)}  ${paint("green", "writing…".padEnd(11))}  `);
      streaming = true;
      process.stdout.write(event.content);
      continue;
    }
    if (streaming) process.stdout.write("\n");
    streaming = false;
    const label = event.type.padEnd(11);
    console.log(
      `${paint("dim", elapsed)}  ${paint(COLORS[event.type] ?? "white", label)}  ${relative(describe(event, toolStarts))}`,
    );
    if (event.type === "result") result = event;
  }
  const { usage, threadUsage, structuredOutput } = result.metadata;
  console.log(paint("bold", "\n✔ result"));
  if (structuredOutput !== undefined) {
    console.log(paint("dim", "  structuredOutput (parsed and validated against outputSchema):"));
    console.log(`  ${JSON.stringify(structuredOutput)}`);
  } else {
    console.log(`  ${result.content}`);
  }
  console.log(
    paint(
      "dim",
      `  thread ${result.metadata.threadId} · ${result.metadata.durationMs} ms · this turn: ${usage.inputTokens} input (${usage.cachedInputTokens} cached) · ${usage.outputTokens} output (${usage.reasoningOutputTokens} reasoning) · ${usage.totalTokens} total tokens`,
    ),
  );
  console.log(
    paint(
      "dim",
      `  thread so far: ${threadUsage.inputTokens} input · ${threadUsage.outputTokens} output · ${threadUsage.totalTokens} total tokens`,
    ),
  );
  return result;
}

function reportFailure(error) {
  if (CodexProviderError.isInstance(error)) {
    console.error(paint("red", `\n✖ ${error.code}: ${error.message}`));
    console.error(`  classification: ${error.details.classification}`);
    console.error(`  retryable:      ${error.retryable}`);
    if (error.details.statusCode !== undefined)
      console.error(`  statusCode:     ${error.details.statusCode}`);
    if (error.details.failureCode !== undefined)
      console.error(`  failureCode:    ${error.details.failureCode}`);
  } else {
    console.error(paint("red", `\n✖ unexpected failure: ${error?.stack ?? error}`));
  }
  process.exitCode = 1;
}

const timeout = Number(values.timeout);
if (values.live !== undefined) {
  const workingDirectory = path.resolve(values.cwd ?? process.cwd());
  try {
    const provider = new CodexProvider({ transport });
    try {
      await runTurn(provider, values.live, workingDirectory, timeout);
    } finally {
      await provider.close(); // stops the app-server (a no-op on exec)
    }
  } catch (error) {
    reportFailure(error);
  }
} else {
  const emulator = await startEmulator({
    script: byMarker({ [MARKER]: DEMO_TURN, [SUMMARY_MARKER]: SUMMARY_TURN }),
  });
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  try {
    await mkdir(run.workingDirectory, { recursive: true });
    console.log(
      paint("dim", `emulator ${emulator.baseUrl} · model ${run.env.CODEX_MODEL} · no credentials needed`),
    );
    const settings = { env: run.env, transport, config: { tools: { update_plan: { enabled: true } } } };
    const first = new CodexProvider(settings);
    let firstResult;
    try {
      firstResult = await runTurn(first, DEMO_PROMPT, run.workingDirectory, timeout);
    } finally {
      await first.close(); // stops the app-server (a no-op on exec)
    }
    // A new provider (and a new codex process) continues the thread from CODEX_HOME.
    const second = new CodexProvider(settings);
    try {
      await runTurn(second, SUMMARY_PROMPT, run.workingDirectory, timeout, {
        resumeThreadId: firstResult.metadata.threadId,
        outputSchema: Summary,
      });
    } finally {
      await second.close();
    }
  } catch (error) {
    reportFailure(error);
  } finally {
    await run.cleanup();
    await emulator.close();
  }
}
