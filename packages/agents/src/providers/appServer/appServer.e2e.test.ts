import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { msg } from "../testing/e2e.js";
import {
  type AppServerProcess,
  readCodexVersion,
  realCodexIo,
  resolveCodexBinary,
  spawnAppServer,
} from "./core.js";
import { createJsonRpcClient, type JsonRpcClient, type ServerRequest } from "./jsonRpc.js";
import { assertSupportedAppServerVersion, parseCodexVersion } from "./version.js";
import type { ApprovalDecision } from "./wire.js";
import {
  initializeResultSchema,
  parseNotification,
  parseResult,
  parseServerRequest,
  threadStartResultSchema,
  turnStartResultSchema,
  type WireNotification,
} from "./wire.js";

// Real-binary smoke test of the app-server groundwork: the pinned `codex app-server` against the loopback
// emulator, through spawnAppServer + the JSON-RPC client + the wire schemas. It measures as it goes (printed
// with the `[app-server]` prefix) and checks the recorded fixtures still describe the binary.

const SLEEP = "sleep 31.337"; // a unique command line to find in the process table
const TURNS: Record<string, Turn> = {
  "[simple]": { steps: [{ items: [msg("Hello from the emulator.")] }] },
  "[cmd]": {
    steps: [{ items: [{ type: "exec", cmd: "echo out; echo err >&2" }] }, { items: [msg("ran it")] }],
  },
  "[sleep]": { steps: [{ items: [{ type: "exec", cmd: SLEEP }] }, { items: [msg("slept")] }] },
  "[401]": { steps: [{ fault: "http", status: 401 }] },
};

const binary = resolveCodexBinary(realCodexIo, process.platform, process.arch);
const figures: Record<string, number> = {};
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** Command output deltas come in 0–2 chunks depending on timing: sequences are compared without them. */
const stable = (methods: readonly string[]) =>
  methods.filter((m) => m !== "item/commandExecution/outputDelta");

/** Methods of a recorded turn, in order, as the mapper will see them (the turn/start response dropped). */
function fixtureMethods(name: string): string[] {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { method?: string })
    .flatMap((line) => (line.method ? [line.method] : []));
}

async function processesMatching(text: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)("ps", ["-eo", "pid,args"]);
  return stdout.split("\n").filter((line) => line.includes(text));
}

/**
 * Per-thread config: the emulator as a custom provider reading the key from the env (`env_key`), and the key kept
 * out of the agent's shell. Without the exclude, the shell snapshot under CODEX_HOME/shell_snapshots holds the key
 * while the thread is loaded, and stays on disk if the app-server is killed.
 */
const threadConfig = (baseUrl: string) => ({
  ...customProviderConfig(baseUrl),
  shell_environment_policy: { exclude: ["CODEX_API_KEY", "OPENAI_API_KEY"] },
});

interface Received {
  method: string;
  params: unknown;
  at: number;
}

/** One app-server with a client, a log of notifications and an approval policy for server requests. */
class Harness {
  readonly received: Received[] = [];
  readonly serverRequests: ServerRequest[] = [];
  decide: (request: ServerRequest) => ApprovalDecision | undefined = () => undefined;
  private waiters: (() => void)[] = [];
  readonly process: AppServerProcess;
  readonly client: JsonRpcClient;

  constructor(
    readonly env: Record<string, string>,
    cwd: string,
  ) {
    // `--disable plugins`: otherwise the app-server tries to sync a plugin catalog from github.com at start.
    this.process = spawnAppServer(binary.executablePath, { env, cwd, args: ["--disable", "plugins"] });
    this.client = createJsonRpcClient({
      transport: this.process,
      onNotification: (method, params) => {
        this.received.push({ method, params, at: performance.now() });
        for (const wake of this.waiters.splice(0)) wake();
      },
      onServerRequest: (request) => {
        this.serverRequests.push(request);
        this.received.push({ method: request.method, params: request.params, at: performance.now() });
        const parsed = parseServerRequest(request.method, request.params);
        const decision = parsed ? this.decide(request) : undefined;
        if (decision) request.reply({ decision });
        else request.replyError({ code: -32601, message: `unhandled ${request.method}` });
      },
    });
  }

  /** Resolves with the first notification from index `from` on that matches. */
  async next(predicate: (n: Received) => boolean, from = 0): Promise<Received> {
    for (;;) {
      const found = this.received.slice(from).find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Starts a turn and resolves when it completes, with the messages received meanwhile. */
  async turn(threadId: string, text: string, during?: (turnId: string, from: number) => Promise<void>) {
    const from = this.received.length;
    const started = performance.now();
    const result = parseResult(
      "turn/start",
      turnStartResultSchema,
      await this.client.request("turn/start", {
        threadId,
        input: [{ type: "text", text, text_elements: [] }],
      }),
    );
    const turnId = result.turn.id;
    await during?.(turnId, from);
    const done = await this.next(
      (n) => n.method === "turn/completed" && (n.params as { turn: { id: string } }).turn.id === turnId,
      from,
    );
    const messages = this.received.slice(from, this.received.indexOf(done) + 1);
    const parsed = messages.map((n) => parseNotification(n.method, n.params));
    const completed = parsed.at(-1) as Extract<WireNotification, { method: "turn/completed" }>;
    return {
      turnId,
      wallMs: done.at - started,
      methods: messages.map((n) => n.method),
      parsed,
      status: completed.params.turn.status,
      completedAt: done.at,
    };
  }

  /** Starts a thread and waits for its `thread/started` (which follows the response), so turns begin clean. */
  async startThread(cwd: string, baseUrl: string, approvalPolicy = "never"): Promise<string> {
    const from = this.received.length;
    const result = await this.client.request("thread/start", {
      cwd,
      model: "gpt-5.5",
      approvalPolicy,
      sandbox: "workspace-write",
      config: threadConfig(baseUrl),
    });
    const id = parseResult("thread/start", threadStartResultSchema, result).thread.id;
    await this.next(
      (n) => n.method === "thread/started" && (n.params as { thread: { id: string } }).thread.id === id,
      from,
    );
    return id;
  }
}

let emulator: Emulator;
let run: HermeticRun;
let harness: Harness;
let threadId: string;

beforeAll(async () => {
  emulator = await startEmulator({ script: byMarker(TURNS) });
  run = await createHermeticRun({ baseUrl: emulator.baseUrl });
});

afterAll(async () => {
  harness?.process.kill("SIGKILL");
  await harness?.process.exited;
  await emulator?.close();
  await run?.cleanup();
  console.log(`[app-server] figures (ms): ${JSON.stringify(figures)}`);
});

describe("codex app-server 0.163 against the emulator", () => {
  it("gates on the binary version, from --version and from the initialize userAgent", async () => {
    const version = assertSupportedAppServerVersion(await readCodexVersion(binary.executablePath, run.env));
    expect(`${version.major}.${version.minor}`).toBe("0.163");
  });

  it("starts cold to a ready thread: initialize, initialized, thread/start with the emulator as custom provider", async () => {
    const spawned = performance.now();
    harness = new Harness(
      { ...run.env, PATH: [...binary.pathDirs, run.env.PATH].join(path.delimiter) },
      run.workingDirectory,
    );
    const init = parseResult(
      "initialize",
      initializeResultSchema,
      await harness.client.request("initialize", {
        clientInfo: { name: "alphred_agents", title: null, version: "0.1.0" },
        capabilities: { experimentalApi: true },
      }),
    );
    figures.spawnToInitializedMs = Math.round(performance.now() - spawned);
    harness.client.notify("initialized");
    expect(parseCodexVersion(init.userAgent)?.minor).toBe(163);
    expect(init.userAgent.startsWith("alphred_agents/")).toBe(true);
    expect(init.codexHome).toBe(run.codexHome);
    threadId = await harness.startThread(run.workingDirectory, emulator.baseUrl);
    figures.coldStartToThreadReadyMs = Math.round(performance.now() - spawned);
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("runs a simple turn with the recorded notification sequence, the key from env_key, and no auth.json", async () => {
    const cold = await harness.turn(threadId, "[simple] say hello");
    figures.firstTurnMs = Math.round(cold.wallMs);
    expect(cold.status).toBe("completed");
    expect(stable(cold.methods)).toEqual(fixtureMethods("simple-turn.jsonl"));
    const items = cold.parsed.flatMap((n) => (n?.method === "item/completed" ? [n.params.item] : []));
    expect(items.map((item) => item.type)).toEqual(["userMessage", "agentMessage"]);
    expect(items[1]?.type === "agentMessage" && items[1].text).toBe("Hello from the emulator.");
    const post = emulator.requests.filter((r) => r.method === "POST").at(-1);
    expect(post?.headers.authorization).toBe(`Bearer ${run.env.CODEX_API_KEY}`);
    expect(existsSync(path.join(run.codexHome, "auth.json"))).toBe(false);
  });

  it("runs warm turns on the same process", async () => {
    const walls: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const warm = await harness.turn(threadId, "[simple] again");
      expect(warm.status).toBe("completed");
      walls.push(warm.wallMs);
    }
    // Reported, not asserted: speed is the benchmark's job (DESIGN.md "Test tiers").
    figures.warmTurnMedianMs = Math.round(median(walls));
  });

  it("runs a one-command turn with the recorded notification sequence", async () => {
    const turn = await harness.turn(threadId, "[cmd] run it");
    figures.commandTurnMs = Math.round(turn.wallMs);
    expect(turn.status).toBe("completed");
    expect(stable(turn.methods)).toEqual(stable(fixtureMethods("command-turn.jsonl")));
    const command = turn.parsed.find(
      (n) => n?.method === "item/completed" && n.params.item.type === "commandExecution",
    );
    expect(command?.method === "item/completed" && command.params.item).toMatchObject({
      exitCode: 0,
      status: "completed",
    });
  });

  it("interrupts a turn running a command; the command survives until backgroundTerminals/clean; the process stays usable", async () => {
    let interruptSentAt = 0;
    let interruptAnsweredMs = 0;
    const turn = await harness.turn(threadId, "[sleep] wait", async (turnId, from) => {
      await harness.next(
        (n) =>
          n.method === "item/started" &&
          (n.params as { item: { type: string } }).item.type === "commandExecution",
        from,
      );
      interruptSentAt = performance.now();
      expect(await harness.client.request("turn/interrupt", { threadId, turnId })).toEqual({});
      interruptAnsweredMs = performance.now() - interruptSentAt;
    });
    figures.interruptAnswerMs = Math.round(interruptAnsweredMs);
    figures.interruptToCompletedMs = Math.round(turn.completedAt - interruptSentAt);
    expect(turn.status).toBe("interrupted");
    // The interrupted command never completes as an item.
    const commandItems = turn.parsed.filter(
      (n) => n?.method === "item/completed" && n.params.item.type === "commandExecution",
    );
    expect(commandItems).toEqual([]);
    expect((await processesMatching(SLEEP)).some((line) => line.endsWith(SLEEP))).toBe(true);
    const cleanAt = performance.now();
    expect(await harness.client.request("thread/backgroundTerminals/clean", { threadId })).toEqual({});
    let alive = await processesMatching(SLEEP);
    while (alive.length > 0 && performance.now() - cleanAt < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      alive = await processesMatching(SLEEP);
    }
    figures.cleanToCommandGoneMs = Math.round(performance.now() - cleanAt);
    expect(alive).toEqual([]);
    const after = await harness.turn(threadId, "[simple] still there?");
    expect(after.status).toBe("completed");
  });

  it("reports an HTTP 401 as a structured error notification and a failed turn", async () => {
    const turn = await harness.turn(threadId, "[401] fail");
    expect(turn.status).toBe("failed");
    const error = turn.parsed.find((n) => n?.method === "error");
    expect(error?.method === "error" && error.params).toMatchObject({
      willRetry: false,
      error: { codexErrorInfo: { httpConnectionFailed: { httpStatusCode: 401 } } },
    });
  });

  it.each([
    ["accept", "completed", "completed"],
    ["decline", "declined", "completed"],
    ["cancel", "declined", "interrupted"],
    [undefined, "failed", "completed"], // no decision: the client answers -32601 and the command is not run
  ] as const)(
    "with approvalPolicy untrusted, %s → command %s, turn %s",
    async (decision, commandStatus, turnStatus) => {
      const approvalThread = await harness.startThread(run.workingDirectory, emulator.baseUrl, "untrusted");
      harness.decide = () => decision;
      const asked = harness.serverRequests.length;
      const turn = await harness.turn(approvalThread, "[cmd] needs approval");
      harness.decide = () => undefined;
      expect(turn.status).toBe(turnStatus);
      const [request] = harness.serverRequests.slice(asked);
      expect(request?.method).toBe("item/commandExecution/requestApproval");
      expect(parseServerRequest(request?.method as string, request?.params)?.params).toMatchObject({
        threadId: approvalThread,
        command: "/bin/bash -c 'echo out; echo err >&2'",
      });
      expect(turn.methods.indexOf("item/commandExecution/requestApproval")).toBeLessThan(
        turn.methods.indexOf("serverRequest/resolved"),
      );
      const command = turn.parsed.find(
        (n) => n?.method === "item/completed" && n.params.item.type === "commandExecution",
      );
      expect(
        command?.method === "item/completed" &&
          command.params.item.type === "commandExecution" &&
          command.params.item.status,
      ).toBe(commandStatus);
    },
  );

  it("runs turns of many threads concurrently on one process", async () => {
    const threads = await Promise.all(
      Array.from({ length: 4 }, () => harness.startThread(run.workingDirectory, emulator.baseUrl)),
    );
    expect(new Set(threads).size).toBe(4);
    const started = performance.now();
    const turns = await Promise.all(threads.map((id) => harness.turn(id, "[simple] in parallel")));
    figures.fourConcurrentTurnsMs = Math.round(performance.now() - started);
    expect(turns.map((t) => t.status)).toEqual(["completed", "completed", "completed", "completed"]);
    expect(new Set(turns.map((t) => t.turnId)).size).toBe(4);
  });

  it("a killed app-server fails its pending requests with a typed error and takes its commands with it", async () => {
    const doomed = new Harness(harness.env, run.workingDirectory);
    await doomed.client.request("initialize", {
      clientInfo: { name: "alphred_agents", title: null, version: "0.1.0" },
      capabilities: { experimentalApi: true },
    });
    doomed.client.notify("initialized");
    const thread = await doomed.startThread(run.workingDirectory, emulator.baseUrl);
    const from = doomed.received.length;
    await doomed.client.request("turn/start", {
      threadId: thread,
      input: [{ type: "text", text: "[sleep] then die", text_elements: [] }],
    });
    await doomed.next(
      (n) =>
        n.method === "item/started" &&
        (n.params as { item: { type: string } }).item.type === "commandExecution",
      from,
    );
    const pending = doomed.client.request("thread/start", {}, { timeoutMs: 0 });
    doomed.process.kill("SIGKILL");
    await expect(pending).rejects.toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
      details: { failureCode: "app_server_exited", signal: "SIGKILL" },
    });
    let alive = await processesMatching(SLEEP);
    const killedAt = performance.now();
    while (alive.some((line) => line.endsWith(SLEEP)) && performance.now() - killedAt < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      alive = await processesMatching(SLEEP);
    }
    expect(alive.filter((line) => line.endsWith(SLEEP))).toEqual([]);
  });

  it("shuts down when stdin closes, failing nothing, leaving no process behind", async () => {
    const pid = harness.process.pid as number;
    const closing = performance.now();
    harness.process.endInput();
    const exit = await harness.process.exited;
    figures.stdinCloseToExitMs = Math.round(performance.now() - closing);
    expect(exit).toEqual({ exitCode: 0, signal: null });
    expect(harness.client.closed).toBe(true);
    expect(harness.client.stats.garbageLines).toBe(0);
    expect(harness.process.stderrTail()).not.toMatch(/github\.com|chatgpt\.com/);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await processesMatching(run.workingDirectory)).toEqual([]);
    await expect(harness.client.request("turn/start", {})).rejects.toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
    });
  });

  it("resumes the thread on a new process once the first one has exited (one writer per thread)", async () => {
    const second = new Harness(harness.env, run.workingDirectory);
    try {
      await second.client.request("initialize", {
        clientInfo: { name: "alphred_agents", title: null, version: "0.1.0" },
        capabilities: { experimentalApi: true },
      });
      second.client.notify("initialized");
      const resumed = await second.client.request("thread/resume", {
        threadId,
        cwd: run.workingDirectory,
        model: "gpt-5.5",
        approvalPolicy: "never",
        sandbox: "workspace-write",
        config: threadConfig(emulator.baseUrl),
      });
      expect(parseResult("thread/resume", threadStartResultSchema, resumed).thread.id).toBe(threadId);
      const turn = await second.turn(threadId, "[simple] after resume");
      expect(turn.status).toBe("completed");
      const post = emulator.requests.filter((r) => r.method === "POST").at(-1);
      expect(JSON.stringify(post?.body)).toContain("[simple] say hello");
    } finally {
      second.process.endInput();
      await second.process.exited;
    }
  });

  it("left the API key nowhere in CODEX_HOME (sessions, logs, config): it only travelled in the environment", async () => {
    const key = run.env.CODEX_API_KEY as string;
    const files = (await readdir(run.codexHome, { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    expect(files.length).toBeGreaterThan(0);
    const holding: string[] = [];
    for (const entry of files) {
      const file = path.join(entry.parentPath, entry.name);
      if ((await readFile(file)).includes(key)) holding.push(path.relative(run.codexHome, file));
    }
    expect(holding).toEqual([]);
  });
});
