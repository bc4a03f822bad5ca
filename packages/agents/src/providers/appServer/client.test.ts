import type { ThreadEvent } from "@openai/codex-sdk";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProvider } from "../codex.js";
import { collectSecrets, shellEnvironmentExclusions } from "../codexSecrets.js";
import { collect, fakeBoot } from "../testing/harness.js";
import {
  type CodexApprovalRequest,
  DEFAULT_APPROVAL_DECISION,
  decideApproval,
  toApprovalRequest,
} from "./approvals.js";
import {
  AppServerPool,
  type AppServerPoolOptions,
  appServerInput,
  appServerThreadConfig,
  SPARE_THREADS,
  STOP_TURN_TIMEOUT_MS,
  spareKey,
} from "./client.js";
import { type AppServerSpawner, MAX_IDLE_THREADS, MAX_SPARE_SETS } from "./connection.js";
import type { AppServerExit, AppServerProcess, CodexProviderError } from "./core.js";

/** A scripted stand-in for `codex app-server`: answers requests with `answer`, records what it got. */
interface FakeServer {
  spawned: number;
  requests: { method: string; params: unknown }[];
  replies: unknown[];
  processes: FakeProcess[];
}
interface FakeProcess extends AppServerProcess {
  send(message: object): void;
  crash(exit: AppServerExit): void;
  signals: string[];
}
type Answer = (method: string, params: unknown, process: FakeProcess) => unknown | undefined;

const USER_AGENT = "alphred_agents/0.163.0 (Linux; x86_64)";

function fakeServer(answer: Answer): { spawn: AppServerSpawner; server: FakeServer } {
  const server: FakeServer = { spawned: 0, requests: [], replies: [], processes: [] };
  const spawn: AppServerSpawner = () => {
    server.spawned += 1;
    let lineListener: (line: string) => void = () => undefined;
    const closeListeners: ((exit: AppServerExit) => void)[] = [];
    let ended: AppServerExit | undefined;
    let resolveExited: (exit: AppServerExit) => void = () => undefined;
    const exited = new Promise<AppServerExit>((resolve) => {
      resolveExited = resolve;
    });
    const end = (exit: AppServerExit) => {
      if (ended) return;
      ended = exit;
      resolveExited(exit);
      for (const listener of closeListeners) listener(exit);
    };
    const process: FakeProcess = {
      pid: 1000 + server.spawned,
      signals: [],
      keepAlive: () => undefined,
      send: (message) => queueMicrotask(() => lineListener(JSON.stringify(message))),
      crash: end,
      writeLine: (line) => {
        const message = JSON.parse(line) as {
          id?: number;
          method?: string;
          params?: unknown;
          result?: unknown;
        };
        if (message.method === undefined) {
          server.replies.push(message.result);
          return;
        }
        server.requests.push({ method: message.method, params: message.params });
        if (message.id === undefined) return;
        const result =
          message.method === "initialize"
            ? {
                result: {
                  userAgent: USER_AGENT,
                  codexHome: "/h",
                  platformFamily: "unix",
                  platformOs: "linux",
                },
              }
            : answer(message.method, message.params, process);
        if (result !== undefined) process.send({ id: message.id, ...(result as object) });
      },
      onLine: (listener) => {
        lineListener = listener;
      },
      onClose: (listener) => (ended ? listener(ended) : closeListeners.push(listener)),
      stderrTail: () => "fake stderr",
      exited,
      endInput: () => end({ exitCode: 0, signal: null }),
      kill: (signal = "SIGTERM") => {
        process.signals.push(signal);
        end({ exitCode: null, signal });
      },
    };
    server.processes.push(process);
    return process;
  };
  return { spawn, server };
}

const THREAD = { thread: { id: "th" }, model: "m", modelProvider: "p", cwd: "/w" };
const turn = (status: string, error: unknown = null) => ({ id: "tu", status, error });

/** Answers thread/start and turn/start; a turn streams `notifications` after its answer. */
const scripted =
  (notifications: object[], extra: Answer = () => undefined): Answer =>
  (method, params, process) => {
    if (method === "thread/start" || method === "thread/resume") return { result: THREAD };
    if (method === "turn/start") {
      setTimeout(() => {
        for (const message of notifications) process.send(message);
      }, 1);
      return { result: { turn: turn("inProgress") } };
    }
    return extra(method, params, process);
  };

const message = (text: string) => ({
  method: "item/completed",
  params: { threadId: "th", turnId: "tu", item: { type: "agentMessage", id: "m", text } },
});
const done = { method: "turn/completed", params: { threadId: "th", turn: turn("completed") } };

/** Lets a pool with `spareQuietMs: 0` start its spares. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 5));

async function drain(events: AsyncGenerator<ThreadEvent>): Promise<ThreadEvent[]> {
  const out: ThreadEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const client = (pool: AppServerPool, extra: object = {}) =>
  pool.createClient({ codexPathOverride: "/bin/codex", env: { CODEX_HOME: "/h" }, apiKey: "sk-k", ...extra });

describe("AppServerPool + client (scripted app-server)", () => {
  it("starts lazily, runs turns of two threads on one process, and stops on close", async () => {
    const { spawn, server } = fakeServer(scripted([message("hi"), done]));
    const pool = new AppServerPool({ spawn, spareQuietMs: 0 });
    const codex = client(pool);
    expect(server.spawned).toBe(0);
    const [a, b] = await Promise.all([
      codex.startThread({ workingDirectory: "/w" }).runStreamed("one"),
      codex.startThread().runStreamed([{ type: "local_image", path: "/i.png" }]),
    ]);
    const events = await drain(a.events);
    expect(events.map((event) => event.type)).toEqual(["thread.started", "item.completed", "turn.completed"]);
    await drain(b.events);
    await quiet();
    expect(server.spawned).toBe(1);
    const methods = () => server.requests.map((request) => request.method);
    // Two used, then SPARE_THREADS spares per parameter set, started only once each turn had ended.
    expect(methods().filter((method) => method === "thread/start")).toHaveLength(2 + 2 * SPARE_THREADS);
    expect(methods().filter((method) => method === "turn/start")).toHaveLength(2);
    // The next run with the same thread parameters takes a spare: its turn starts without a thread/start first,
    // and one spare replaces it after the turn.
    const before = methods().length;
    await drain((await codex.startThread({ workingDirectory: "/w" }).runStreamed("again")).events);
    await quiet();
    expect(methods().slice(before)).toEqual(["turn/start", "thread/start"]);
    expect(pool.size).toBe(1);
    await pool.close();
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(codex.startThread().runStreamed("x")).rejects.toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
      details: { failureCode: "provider_closed" },
    });
  });

  it.each([
    ["no rollout found for thread id x", "CODEX_INVALID_OPTIONS", "thread_not_found"],
    ["thread x already has an active writer", "CODEX_INVALID_OPTIONS", "thread_in_use"],
    ["something else", "CODEX_INTERNAL_ERROR", "rpc_error"],
  ])("a refused thread/resume (%s) is %s %s", async (text, code, failureCode) => {
    const { spawn, server } = fakeServer((method, params, process) =>
      method === "thread/resume"
        ? { error: { code: -32600, message: text } }
        : scripted([message("hi"), done])(method, params, process),
    );
    const pool = new AppServerPool({ spawn });
    await expect(
      client(pool).resumeThread("x", { workingDirectory: "/w" }).runStreamed("go"),
    ).rejects.toMatchObject({ code, details: { failureCode } });
    expect(server.requests.map((request) => request.method)).not.toContain("turn/start");
    await pool.close();
  });

  it("spare threads wait for a quiet moment: none start while a turn is in flight or right before the next", async () => {
    const { spawn, server } = fakeServer(scripted([message("hi"), done]));
    const pool = new AppServerPool({ spawn, spareQuietMs: 30 });
    const codex = client(pool);
    const starts = () => server.requests.filter((request) => request.method === "thread/start").length;
    const first = codex.startThread();
    await drain((await first.runStreamed("one")).events);
    expect(starts()).toBe(1);
    // A conversation's next turn right after its first: the spares asked for at the end of turn one wait.
    const second = await first.runStreamed("two");
    expect((await second.events.next()).value).toMatchObject({ type: "thread.started" });
    await new Promise((resolve) => setTimeout(resolve, 45));
    expect(starts()).toBe(1);
    await drain(second.events);
    expect(starts()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(starts()).toBe(1 + SPARE_THREADS);
    // The next new thread takes a spare: no thread/start before its turn.
    const before = server.requests.length;
    await drain((await codex.startThread().runStreamed("three")).events);
    expect(server.requests.slice(before).map((request) => request.method)).toEqual(["turn/start"]);
    await pool.close();
  });

  it("a spare key is a fixed-size digest of the thread/start params: equal params, equal key, any size", () => {
    const params = fc.record({
      cwd: fc.string(),
      model: fc.option(fc.string()),
      config: fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
    });
    fc.assert(
      fc.property(params, params, (a, b) => {
        expect(spareKey(a)).toHaveLength(44);
        expect(spareKey(structuredClone(a))).toBe(spareKey(a));
        expect(spareKey(a) === spareKey(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
    );
    // 1 MiB of instructions that differ only in their last character: same length, different keys, both 44 chars.
    const large = "東".repeat(1_048_575);
    const one = spareKey({ config: { developer_instructions: `${large}a` } });
    const other = spareKey({ config: { developer_instructions: `${large}b` } });
    expect([one.length, other.length]).toEqual([44, 44]);
    expect(one).not.toBe(other);
  });

  it("a new thread with a 1 MB developer_instructions takes a spare started with the same full instructions", async () => {
    const { spawn, server } = fakeServer(scripted([message("hi"), done]));
    const pool = new AppServerPool({ spawn, spareQuietMs: 0 });
    const large = 'Rule "é" 😀\n'.repeat(80_000);
    const codex = client(pool, { config: { developer_instructions: large } });
    await drain((await codex.startThread({ workingDirectory: "/w" }).runStreamed("one")).events);
    await quiet();
    const before = server.requests.length;
    await drain((await codex.startThread({ workingDirectory: "/w" }).runStreamed("two")).events);
    await quiet();
    // Its own thread came from a spare; one more spare replaced it once the turn had ended.
    expect(server.requests.slice(before).map((request) => request.method)).toEqual([
      "turn/start",
      "thread/start",
    ]);
    const starts = server.requests.filter((request) => request.method === "thread/start");
    expect(starts).toHaveLength(2 + SPARE_THREADS);
    for (const start of starts) {
      expect(
        (start.params as { config: { developer_instructions: string } }).config.developer_instructions,
      ).toBe(large);
    }
    // Another systemPrompt of the same length is another parameter set: no spare of the first is taken.
    const sibling = client(pool, { config: { developer_instructions: `${large.slice(0, -1)}!` } });
    const after = server.requests.length;
    await drain((await sibling.startThread({ workingDirectory: "/w" }).runStreamed("three")).events);
    expect(server.requests.slice(after).map((request) => request.method)).toEqual([
      "thread/start",
      "turn/start",
    ]);
    await pool.close();
  });

  it("spare threads that failed to start are dropped: the next run starts its own thread", async () => {
    let starts = 0;
    const { spawn, server } = fakeServer((method, params, process) => {
      // Every spare of the first run fails (thread/start 2 .. 1 + SPARE_THREADS).
      if (method === "thread/start" && ++starts >= 2 && starts <= 1 + SPARE_THREADS)
        return { error: { code: -1, message: "busy" } };
      return scripted([message("hi"), done])(method, params, process);
    });
    const pool = new AppServerPool({ spawn, spareQuietMs: 0 });
    const codex = client(pool);
    await drain((await codex.startThread().runStreamed("one")).events);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const events = await drain((await codex.startThread().runStreamed("two")).events);
    await quiet();
    expect(events.at(-1)?.type).toBe("turn.completed");
    const methods = server.requests.map((request) => request.method);
    expect(methods.filter((method) => method === "thread/start")).toHaveLength(2 + 2 * SPARE_THREADS);
    // The second run's own thread/start comes right before its turn/start.
    expect(methods[methods.lastIndexOf("turn/start") - 1]).toBe("thread/start");
    await pool.close();
  });

  it("aborting a turn interrupts it and cleans its terminals; a failed interrupt kills the process", async () => {
    const { spawn, server } = fakeServer(
      scripted([], (method) =>
        method === "turn/interrupt" || method.includes("clean") ? { result: {} } : undefined,
      ),
    );
    const pool = new AppServerPool({ spawn, spareQuietMs: 0 });
    const controller = new AbortController();
    const { events } = await client(pool).startThread().runStreamed("x", { signal: controller.signal });
    expect((await events.next()).value).toMatchObject({ type: "thread.started" });
    const pending = events.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await quiet();
    // The interrupted turn is stopped first; the spares for the next runs start only after that.
    expect(server.requests.map((request) => request.method).slice(-2 - SPARE_THREADS)).toEqual([
      "turn/interrupt",
      "thread/backgroundTerminals/clean",
      ...Array<string>(SPARE_THREADS).fill("thread/start"),
    ]);
    expect(server.processes[0]?.signals).toEqual([]);

    // A refused interrupt (the turn may be over) is fine; a failed clean kills the process (commands die with it).
    for (const [failing, signals] of [
      ["turn/interrupt", []],
      ["thread/backgroundTerminals/clean", ["SIGKILL"]],
    ] as const) {
      const other = fakeServer(
        scripted([], (method) =>
          method === failing ? { error: { code: -1, message: "no" } } : { result: {} },
        ),
      );
      const otherPool = new AppServerPool({ spawn: other.spawn });
      const stop = new AbortController();
      const stream = await client(otherPool).startThread().runStreamed("x", { signal: stop.signal });
      await stream.events.next();
      const next = stream.events.next();
      await new Promise((resolve) => setTimeout(resolve, 5));
      stop.abort();
      await expect(next).rejects.toMatchObject({ name: "AbortError" });
      expect(other.server.processes[0]?.signals).toEqual(signals);
      await otherPool.close();
    }
    await pool.close();
  });

  it("a crash fails the in-flight turn with CODEX_TRANSPORT_ERROR and the next turn gets a new process", async () => {
    const { spawn, server } = fakeServer(scripted([]));
    const pool = new AppServerPool({ spawn });
    const codex = client(pool);
    const thread = codex.startThread();
    const { events } = await thread.runStreamed("x");
    await events.next();
    const pending = events.next();
    await new Promise((resolve) => setTimeout(resolve, 5)); // turn/start answered: the turn is in flight
    server.processes[0]?.crash({ exitCode: null, signal: "SIGKILL" });
    await expect(pending).rejects.toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
      details: { failureCode: "app_server_exited", signal: "SIGKILL", stderr: "fake stderr" },
    });
    expect(pool.size).toBe(0);
    // The same thread continues on the new process through thread/resume.
    const again = await thread.runStreamed("y");
    again.events.return(undefined).catch(() => undefined);
    expect(server.spawned).toBe(2);
    expect(server.requests.some((request) => request.method === "thread/resume")).toBe(true);
    server.processes[1]?.crash({ exitCode: 1, signal: null, spawnError: "ENOENT" });
    await pool.close();
  });

  it("a caller abort while the process starts rejects with an AbortError; the thread id is known after start", async () => {
    const { spawn } = fakeServer(scripted([message("hi"), done]));
    const pool = new AppServerPool({ spawn });
    const thread = client(pool).startThread() as { id?: string | null } & ReturnType<
      ReturnType<typeof client>["startThread"]
    >;
    await expect(thread.runStreamed("x", { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
    const late = new AbortController();
    const starting = thread.runStreamed("x", { signal: late.signal });
    late.abort();
    await expect(starting).rejects.toMatchObject({ name: "AbortError" });
    // The lease of the aborted start is given back: the process idles out like any other.
    const idle = new AppServerPool({ spawn, idleMs: 10 });
    const aborted = new AbortController();
    const pending = client(idle).startThread().runStreamed("x", { signal: aborted.signal });
    aborted.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idle.size).toBe(0);
    expect(thread.id).toBeNull();
    await drain((await thread.runStreamed("x")).events);
    expect(thread.id).toBe("th");
    await pool.close();
  });

  it("stops a process after the idle time, and refuses an unsupported binary version", async () => {
    const { spawn, server } = fakeServer(scripted([message("hi"), done]));
    const pool = new AppServerPool({ spawn, idleMs: 20 });
    await drain((await client(pool).startThread().runStreamed("x")).events);
    expect(pool.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pool.size).toBe(0);
    expect(server.processes[0]?.signals).toEqual([]);

    const old = fakeServer(() => undefined);
    const oldSpawn: AppServerSpawner = (path, options) => {
      const process = old.spawn(path, options) as FakeProcess;
      const write = process.writeLine;
      process.writeLine = (line) => {
        const parsed = JSON.parse(line) as { id: number; method: string };
        if (parsed.method === "initialize")
          process.send({
            id: parsed.id,
            result: { userAgent: "x/0.150.0", codexHome: "/h", platformFamily: "u", platformOs: "l" },
          });
        else write(line);
      };
      return process;
    };
    const pool2 = new AppServerPool({ spawn: oldSpawn });
    await expect(client(pool2).startThread().runStreamed("x")).rejects.toMatchObject({
      code: "CODEX_INVALID_CONFIG",
    });
    expect(pool2.size).toBe(0);
  });

  it("routes approval requests to onApproval and answers the server with its decision", async () => {
    const approval = (id: number, method: string, params: object) => ({
      id,
      method,
      params: { threadId: "th", turnId: "tu", itemId: "c", ...params },
    });
    const { spawn, server } = fakeServer(
      scripted([
        approval(0, "item/commandExecution/requestApproval", { command: "ls", cwd: "/w", reason: "why" }),
        approval(1, "item/fileChange/requestApproval", { grantRoot: "/w" }),
        { id: 2, method: "item/tool/requestUserInput", params: {} },
        { id: 3, method: "item/fileChange/requestApproval", params: { bad: true } },
        {
          id: 4,
          method: "item/commandExecution/requestApproval",
          params: { threadId: "nobody", turnId: "x", itemId: "y" },
        },
        { method: "item/completed", params: { threadId: "th", bad: true } },
      ]),
    );
    const asked: CodexApprovalRequest[] = [];
    const pool = new AppServerPool({
      spawn,
      onApproval: (request) => {
        asked.push(request);
        return request.kind === "command" ? "acceptForSession" : "decline";
      },
    });
    const { events } = await client(pool).startThread().runStreamed("x");
    await expect(drain(events)).rejects.toMatchObject({ code: "CODEX_INVALID_EVENT" });
    expect(asked).toEqual([
      { kind: "command", threadId: "th", turnId: "tu", itemId: "c", command: "ls", cwd: "/w", reason: "why" },
      { kind: "file_change", threadId: "th", turnId: "tu", itemId: "c", grantRoot: "/w" },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.replies).toEqual(
      expect.arrayContaining([{ decision: "acceptForSession" }, { decision: "decline" }]),
    );
    await pool.close();
  });
});

/** Options of {@link loadingServer}. */
interface LoadingOptions {
  /** Whether `thread/unsubscribe` of this thread fails (an RPC error). */
  failUnsubscribe?: (threadId: string) => boolean;
  /** Delay before `thread/closed` follows an unsubscribe (ms); `null`: answer `notSubscribed`, no close. */
  closeAfterMs?: number | null;
  /** A turn's notifications wait for this (defaults to 1 ms). */
  gate?: (threadId: string) => Promise<void>;
}

/**
 * A fake app-server that loads and unloads threads like 0.163 with `thread_unload_delay_secs=0`: unique thread ids,
 * `thread/unsubscribe` closes a loaded thread (`thread/closed` after `closeAfterMs`), a closing thread refuses
 * `thread/resume`, a turn on a thread it does not hold fails. What must never happen is logged in `violations`.
 */
function loadingServer(options: LoadingOptions = {}) {
  const loaded = new Set<string>();
  const closing = new Set<string>();
  const inFlight = new Set<string>();
  const turned = new Set<string>();
  const violations: string[] = [];
  let next = 0;
  const thread = (id: string) => ({ result: { thread: { id }, model: "m", modelProvider: "p", cwd: "/w" } });
  const { spawn, server } = fakeServer((method, params, process) => {
    const threadId = (params as { threadId?: string } | undefined)?.threadId as string;
    switch (method) {
      case "thread/start": {
        const id = `t${++next}`;
        loaded.add(id);
        return thread(id);
      }
      case "thread/resume":
        if (closing.has(threadId))
          return { error: { code: -32600, message: `thread ${threadId} is closing; retry thread/resume` } };
        loaded.add(threadId);
        return thread(threadId);
      case "thread/unsubscribe": {
        if (inFlight.has(threadId)) violations.push(`unsubscribe of ${threadId} during its turn`);
        if (options.failUnsubscribe?.(threadId)) return { error: { code: -32603, message: "boom" } };
        if (!loaded.has(threadId)) return { result: { status: "notLoaded" } };
        if (options.closeAfterMs === null) return { result: { status: "notSubscribed" } };
        loaded.delete(threadId);
        closing.add(threadId);
        setTimeout(() => {
          closing.delete(threadId);
          process.send({ method: "thread/closed", params: { threadId } });
        }, options.closeAfterMs ?? 1);
        return { result: { status: "unsubscribed" } };
      }
      case "turn/start": {
        if (!loaded.has(threadId)) {
          violations.push(`turn on ${threadId}, which is not loaded`);
          return { error: { code: -32600, message: `thread not found: ${threadId}` } };
        }
        inFlight.add(threadId);
        turned.add(threadId);
        const gate = options.gate?.(threadId) ?? new Promise((resolve) => setTimeout(resolve, 1));
        void gate.then(() => {
          inFlight.delete(threadId);
          process.send({
            method: "item/completed",
            params: { threadId, turnId: "tu", item: { type: "agentMessage", id: "m", text: threadId } },
          });
          process.send({ method: "turn/completed", params: { threadId, turn: turn("completed") } });
        });
        return { result: { turn: turn("inProgress") } };
      }
      case "turn/interrupt":
      case "thread/backgroundTerminals/clean":
        return { result: {} };
      default:
        return undefined;
    }
  });
  const methodsOf = (threadId: string) =>
    server.requests
      .filter((request) => (request.params as { threadId?: string } | undefined)?.threadId === threadId)
      .map((request) => request.method);
  return {
    spawn,
    server,
    loaded,
    violations,
    /** Loaded threads that have run a turn (not spares). */
    conversations: () => [...loaded].filter((id) => turned.has(id)),
    spares: () => [...loaded].filter((id) => !turned.has(id)),
    methodsOf,
  };
}

/** One conversation: its first run starts the thread, each later run resumes it by id (as the provider does). */
async function converse(
  codex: ReturnType<typeof client>,
  conversation: { id?: string },
  options: { model?: string } = {},
): Promise<ThreadEvent[]> {
  const thread =
    conversation.id === undefined ? codex.startThread(options) : codex.resumeThread(conversation.id, options);
  const events = await drain((await thread.runStreamed("go")).events);
  const started = events[0];
  if (started?.type === "thread.started") conversation.id = started.thread_id;
  return events;
}

describe("what a long-lived app-server holds", () => {
  it("keeps the MAX_IDLE_THREADS most recently used threads; older ones are unloaded and resumed on their next turn", async () => {
    const fake = loadingServer();
    const pool = new AppServerPool({ spawn: fake.spawn });
    const codex = client(pool);
    const conversations = Array.from({ length: MAX_IDLE_THREADS + 2 }, () => ({}) as { id?: string });
    for (const conversation of conversations) await converse(codex, conversation);
    await quiet();
    const ids = conversations.map((conversation) => conversation.id as string);
    // The two least recently used were unloaded; the process holds the other MAX_IDLE_THREADS.
    expect(fake.conversations().sort()).toEqual(ids.slice(2).sort());
    expect(fake.methodsOf(ids[0] as string)).toEqual(["turn/start", "thread/unsubscribe"]);
    // A held thread's next turn is warm: no thread/resume.
    await converse(codex, conversations.at(-1) as { id?: string });
    expect(fake.methodsOf(ids.at(-1) as string)).toEqual(["turn/start", "turn/start"]);
    // An unloaded thread's next turn resumes it first, with the same id; the least recently used one goes instead.
    const events = await converse(codex, conversations[0] as { id?: string });
    expect(events.at(-1)?.type).toBe("turn.completed");
    expect(events[0]).toEqual({ type: "thread.started", thread_id: ids[0] });
    expect(fake.methodsOf(ids[0] as string)).toEqual([
      "turn/start",
      "thread/unsubscribe",
      "thread/resume",
      "turn/start",
    ]);
    await quiet();
    expect(fake.methodsOf(ids[2] as string)).toEqual(["turn/start", "thread/unsubscribe"]);
    expect(fake.conversations()).toHaveLength(MAX_IDLE_THREADS);
    expect(fake.violations).toEqual([]);
    await pool.close();
  });

  it("never unloads a thread with a turn in flight, however old", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = "t1"; // the fake's first thread/start
    const fake = loadingServer({
      gate: (id) => (id === first ? held : new Promise((r) => setTimeout(r, 1))),
    });
    const pool = new AppServerPool({ spawn: fake.spawn });
    const codex = client(pool);
    const { events } = await codex.startThread().runStreamed("long");
    const draining = drain(events);
    for (let index = 0; index < MAX_IDLE_THREADS + 3; index++) await converse(codex, {});
    await quiet();
    // The oldest thread is busy: only idle ones were unloaded, MAX_IDLE_THREADS idle ones stay.
    expect(fake.methodsOf(first)).toEqual(["turn/start"]);
    expect(fake.conversations()).toHaveLength(MAX_IDLE_THREADS + 1);
    release();
    expect((await draining).at(-1)?.type).toBe("turn.completed");
    await quiet();
    // Once it ended it is the most recently used: it stays, the least recently used idle one goes.
    expect(fake.methodsOf(first)).toEqual(["turn/start"]);
    expect(fake.conversations()).toHaveLength(MAX_IDLE_THREADS);
    expect(fake.violations).toEqual([]);
    await pool.close();
  });

  it("a failed or refused unsubscribe fails no run: the thread is forgotten and resumed on its next turn", async () => {
    for (const options of [
      { failUnsubscribe: () => true },
      { closeAfterMs: null },
    ] satisfies LoadingOptions[]) {
      const fake = loadingServer(options);
      const pool = new AppServerPool({ spawn: fake.spawn });
      const codex = client(pool);
      const conversations = Array.from({ length: MAX_IDLE_THREADS + 1 }, () => ({}) as { id?: string });
      for (const conversation of conversations) await converse(codex, conversation);
      const again = await converse(codex, conversations[0] as { id?: string });
      expect(again.at(-1)?.type).toBe("turn.completed");
      expect(fake.methodsOf(conversations[0]?.id as string)).toEqual([
        "turn/start",
        "thread/unsubscribe",
        "thread/resume",
        "turn/start",
      ]);
      expect(fake.violations).toEqual([]);
      await pool.close();
    }
  });

  it("the next turn of a closing thread waits for its thread/closed (the app-server refuses to resume it before)", async () => {
    const fake = loadingServer({ closeAfterMs: 30 });
    const pool = new AppServerPool({ spawn: fake.spawn });
    const codex = client(pool);
    const conversations = Array.from({ length: MAX_IDLE_THREADS + 1 }, () => ({}) as { id?: string });
    for (const conversation of conversations) await converse(codex, conversation);
    // conversations[0] was just unsubscribed and is closing for 30 ms.
    const started = performance.now();
    const again = await converse(codex, conversations[0] as { id?: string });
    expect(again.at(-1)?.type).toBe("turn.completed");
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(fake.violations).toEqual([]);
    await pool.close();
  });

  it("keeps spares for the MAX_SPARE_SETS most recent parameter sets; an older set's spares are unloaded", async () => {
    const fake = loadingServer();
    const pool = new AppServerPool({ spawn: fake.spawn, spareQuietMs: 0 });
    const codex = client(pool);
    for (let set = 0; set <= MAX_SPARE_SETS; set++) {
      await converse(codex, {}, { model: `m${set}` });
      await quiet();
    }
    await quiet();
    const starts = fake.server.requests.filter((request) => request.method === "thread/start");
    const spareIdsOf = (model: string) =>
      starts
        .map((request, index) => ({
          model: (request.params as { model: string }).model,
          id: `t${index + 1}`,
        }))
        .filter((start) => start.model === model)
        .slice(1)
        .map((start) => start.id);
    // The first set's spares were started, then unloaded when a fifth set came; the others stay.
    expect(spareIdsOf("m0")).toHaveLength(SPARE_THREADS);
    for (const id of spareIdsOf("m0")) expect(fake.methodsOf(id)).toEqual(["thread/unsubscribe"]);
    expect(fake.spares()).toHaveLength(MAX_SPARE_SETS * SPARE_THREADS);
    // A run with the first set's parameters starts its own thread again.
    const before = fake.server.requests.length;
    await converse(codex, {}, { model: "m0" });
    expect(fake.server.requests.slice(before, before + 2).map((request) => request.method)).toEqual([
      "thread/start",
      "turn/start",
    ]);
    expect(fake.violations).toEqual([]);
    await pool.close();
  });

  it("a turn stream closed before its first read gives its thread and lease back", async () => {
    const fake = loadingServer();
    const pool = new AppServerPool({ spawn: fake.spawn, spareQuietMs: 0, idleMs: 20 });
    const codex = client(pool);
    const conversation: { id?: string } = {};
    await converse(codex, conversation);
    const { events } = await codex.resumeThread(conversation.id as string).runStreamed("never read");
    await events.return(undefined);
    expect(await events.next()).toEqual({ done: true, value: undefined });
    // No turn is left in flight: spares start at the next quiet moment, and the process idles out.
    const starts = () => fake.server.requests.filter((request) => request.method === "thread/start").length;
    await converse(codex, {});
    await quiet();
    expect(starts()).toBe(2 + SPARE_THREADS);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pool.size).toBe(0);
    await pool.close();
  });

  it("property: random runs on N threads with random parameters all succeed and keep the process bounded", async () => {
    const step = fc.record({
      conversation: fc.nat({ max: 39 }),
      model: fc.nat({ max: 6 }),
      delayMs: fc.nat({ max: 4 }),
    });
    const rounds = fc.array(fc.array(step, { minLength: 1, maxLength: 40, size: "max" }), {
      minLength: 1,
      maxLength: 4,
    });
    const timing = fc.record({
      turnMs: fc.array(fc.nat({ max: 12 }), { minLength: 1, maxLength: 16 }),
      closeAfterMs: fc.nat({ max: 8 }),
      failSome: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(rounds, timing, async (plan, { turnMs, closeAfterMs, failSome }) => {
        let turns = 0;
        const fake = loadingServer({
          closeAfterMs,
          failUnsubscribe: (id) => failSome && id.endsWith("3"),
          gate: () => new Promise((resolve) => setTimeout(resolve, turnMs[turns++ % turnMs.length])),
        });
        const pool = new AppServerPool({ spawn: fake.spawn, spareQuietMs: 0 });
        const codex = client(pool);
        const conversations = new Map<number, { id?: string }>();
        try {
          for (const round of plan) {
            // A conversation's runs follow each other (codex runs a thread's turns in order); conversations overlap.
            const chains = new Map<number, (typeof round)[number][]>();
            for (const next of round)
              chains.set(next.conversation, [...(chains.get(next.conversation) ?? []), next]);
            const results = await Promise.all(
              [...chains].map(async ([index, steps]) => {
                const conversation = conversations.get(index) ?? {};
                conversations.set(index, conversation);
                const outcomes: ThreadEvent[][] = [];
                for (const { model, delayMs } of steps) {
                  await new Promise((resolve) => setTimeout(resolve, delayMs));
                  outcomes.push(await converse(codex, conversation, { model: `m${model}` }));
                }
                return outcomes;
              }),
            );
            for (const events of results.flat()) expect(events.at(-1)?.type).toBe("turn.completed");
            // A quiet moment: no turn in flight.
            await quiet();
            // A thread whose unsubscribe failed stays loaded in the app-server, though the connection forgot it.
            const counted = (ids: string[]) => ids.filter((id) => !(failSome && id.endsWith("3"))).length;
            expect(counted(fake.conversations())).toBeLessThanOrEqual(MAX_IDLE_THREADS);
            expect(counted(fake.spares())).toBeLessThanOrEqual(MAX_SPARE_SETS * SPARE_THREADS);
          }
          expect(fake.violations).toEqual([]);
          // Every turn on a thread after its unsubscribe came after a thread/resume of it.
          for (const { id } of conversations.values()) {
            const methods = fake.methodsOf(id as string);
            methods.forEach((method, index) => {
              if (method !== "turn/start") return;
              const unsubscribed = methods.lastIndexOf("thread/unsubscribe", index);
              if (unsubscribed >= 0) expect(methods.slice(unsubscribed, index)).toContain("thread/resume");
            });
          }
        } finally {
          await pool.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe("approvals", () => {
  const request: CodexApprovalRequest = { kind: "command", threadId: "t", turnId: "u", itemId: "i" };

  it("types both approval requests", () => {
    expect(
      toApprovalRequest({
        method: "item/commandExecution/requestApproval",
        params: { threadId: "t", turnId: "u", itemId: "i", command: null, cwd: null, reason: null },
      }),
    ).toEqual(request);
  });

  it("property: whatever the handler does, the answer is one of the four decisions, never a rejection", async () => {
    const behaviours = fc.oneof(
      fc.constantFrom("accept", "acceptForSession", "decline", "cancel").map((d) => ({ kind: "value", d })),
      fc.anything().map((d) => ({ kind: "value", d })),
      fc.constant({ kind: "throw", d: undefined }),
      fc.constant({ kind: "reject", d: undefined }),
      fc.constant({ kind: "never", d: undefined }),
      fc.constant({ kind: "none", d: undefined }),
    );
    await fc.assert(
      fc.asyncProperty(behaviours, async ({ kind, d }) => {
        const handler =
          kind === "none"
            ? undefined
            : () => {
                if (kind === "throw") throw new Error("bug");
                if (kind === "reject") return Promise.reject(new Error("bug"));
                if (kind === "never") return new Promise<never>(() => undefined);
                return d as never;
              };
        const decision = await decideApproval(handler, request, 5);
        const valid = ["accept", "acceptForSession", "decline", "cancel"];
        expect(valid).toContain(decision);
        if (kind !== "value" || !valid.includes(d as string))
          expect(decision).toBe(DEFAULT_APPROVAL_DECISION);
        else expect(decision).toBe(d);
      }),
      { numRuns: 60 },
    );
  });
});

describe("thread config and input", () => {
  it("delivers the key through a custom provider's env_key and respects user choices", () => {
    expect(
      appServerThreadConfig(
        { apiKey: "sk", baseUrl: "http://127.0.0.1:1/v1" },
        { modelReasoningEffort: "low" },
      ),
    ).toEqual({
      model_reasoning_effort: "low",
      model_provider: "alphred_openai",
      model_providers: {
        alphred_openai: {
          name: "OpenAI (API key)",
          base_url: "http://127.0.0.1:1/v1",
          wire_api: "responses",
          env_key: "CODEX_API_KEY",
        },
      },
    });
    expect(
      appServerThreadConfig(
        {
          apiKey: "sk",
          config: {
            model_provider: "mine",
            shell_environment_policy: { exclude: ["SECRET", "CODEX_API_KEY"] },
          },
        },
        {},
      ),
    ).toEqual({
      model_provider: "mine",
      // The provider's exclusions (or the caller's `inheritSecretsInShell`) decide; the client adds none.
      shell_environment_policy: { exclude: ["SECRET", "CODEX_API_KEY"] },
    });
    expect(appServerThreadConfig({ baseUrl: "http://127.0.0.1:1/v1" }, {})).toMatchObject({
      openai_base_url: "http://127.0.0.1:1/v1",
    });
    expect(JSON.stringify(appServerThreadConfig({ apiKey: "sk-secret" }, {}))).not.toContain("sk-secret");
  });

  it("maps the thread settings exec takes as flags to the same config keys, keeping the caller's", () => {
    expect(
      appServerThreadConfig(
        { config: { sandbox_workspace_write: { writable_roots: ["/mine"], exclude_tmpdir_env_var: true } } },
        { webSearchMode: "live", networkAccessEnabled: false, additionalDirectories: ["/data", "/cache"] },
      ),
    ).toEqual({
      web_search: "live",
      sandbox_workspace_write: {
        writable_roots: ["/mine", "/data", "/cache"],
        exclude_tmpdir_env_var: true,
        network_access: false,
      },
    });
    expect(appServerThreadConfig({}, { networkAccessEnabled: true })).toEqual({
      sandbox_workspace_write: { network_access: true },
    });
    expect(appServerThreadConfig({}, { additionalDirectories: [] })).toEqual({});
  });

  it("turns the SDK input into app-server user input", () => {
    expect(appServerInput("hi")).toEqual([{ type: "text", text: "hi", text_elements: [] }]);
    expect(appServerInput([{ type: "local_image", path: "/a.png" }])).toEqual([
      { type: "localImage", path: "/a.png" },
    ]);
  });
});

describe("secrets on the app-server transport", () => {
  const keyArbitrary = fc.stringMatching(/^sk-[A-Za-z0-9]{8,40}$/);

  it("the key the app-server reads through `env_key` is a secret and an excluded shell variable of that config", () => {
    fc.assert(
      fc.property(
        keyArbitrary,
        fc.option(fc.constant("http://127.0.0.1:9/v1"), { nil: undefined }),
        (key, baseUrl) => {
          const config = appServerThreadConfig({ apiKey: key, ...(baseUrl ? { baseUrl } : {}) }, {});
          // The app-server's env as `runStreamed` builds it: the key under the `env_key` variable only.
          const env = { PATH: "/usr/bin", CODEX_API_KEY: key };
          expect(collectSecrets({ env, config })).toContain(key);
          expect(shellEnvironmentExclusions({ config })).toContain("CODEX_API_KEY");
        },
      ),
    );
  });

  /** A provider on a scripted app-server whose turn echoes `text`; returns the run and the thread/start config. */
  async function runOnScriptedServer(
    settings: object,
    text: (key: string) => string,
    before: (key: string) => object[] = () => [],
    poolOptions: Omit<AppServerPoolOptions, "spawn"> = {},
  ) {
    const key = "sk-app-server-secret-0123456789";
    const { spawn, server } = fakeServer(scripted([...before(key), message(text(key)), done]));
    const pool = new AppServerPool({ spawn, ...poolOptions });
    const provider = new CodexProvider({
      ...settings,
      env: { CODEX_API_KEY: key },
      bootstrap: async () => fakeBoot(key),
      createClient: pool.createClient,
      isDirectory: () => true,
    });
    const run = await collect(provider.run("hi", { workingDirectory: "/w" }));
    await pool.close();
    const start = server.requests.find((request) => request.method === "thread/start");
    const params = start?.params as { config?: Record<string, unknown> } | undefined;
    return { key, run, config: params?.config };
  }

  it("redacts the key from what the app-server streams, and keeps it out of the shell by default", async () => {
    const { key, run, config } = await runOnScriptedServer({}, (key) => `the key is ${key}`);
    expect(run.error).toBeUndefined();
    expect(JSON.stringify(run.events)).not.toContain(key);
    expect(run.events.find((event) => event.type === "assistant")?.content).toBe("the key is [REDACTED]");
    expect(config?.model_providers).toMatchObject({ alphred_openai: { env_key: "CODEX_API_KEY" } });
    expect(config?.shell_environment_policy).toEqual({ exclude: ["CODEX_API_KEY", "OPENAI_API_KEY"] });
  });

  it("inheritSecretsInShell: true lets the app-server's shell see the keys (no exclusion added)", async () => {
    const { config } = await runOnScriptedServer({ inheritSecretsInShell: true }, () => "ok");
    expect(config?.shell_environment_policy).toBeUndefined();
  });

  it("an approval request reaches onApproval through the run's redactor", async () => {
    const asked: CodexApprovalRequest[] = [];
    const request = (key: string) => ({
      id: 7,
      method: "item/commandExecution/requestApproval",
      params: { threadId: "th", turnId: "tu", itemId: "c", command: `curl -H 'Bearer ${key}'`, reason: key },
    });
    const { key, run } = await runOnScriptedServer(
      {},
      () => "ok",
      (key) => [request(key)],
      {
        onApproval: (approval) => {
          asked.push(approval);
          return "decline";
        },
      },
    );
    expect(run.error).toBeUndefined();
    expect(asked).toEqual([
      {
        kind: "command",
        threadId: "th",
        turnId: "tu",
        itemId: "c",
        command: "curl -H 'Bearer [REDACTED]'",
        reason: "[REDACTED]",
      },
    ]);
    expect(JSON.stringify(asked)).not.toContain(key);
  });
});

describe("attacks: abort at every await point", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A server that answers turn/start only when `answer()` is called (a busy or wedged app-server). */
  function slowTurnStart() {
    let turnStartId: number | undefined;
    let process: FakeProcess | undefined;
    const fake = fakeServer((method, _params, current) => {
      process = current;
      if (method === "thread/start") return { result: THREAD };
      return method === "turn/start" ? undefined : { result: {} };
    });
    const spawn: AppServerSpawner = (...args) => {
      const spawned = fake.spawn(...args);
      const write = spawned.writeLine.bind(spawned);
      return Object.assign(spawned, {
        writeLine: (line: string) => {
          const parsed = JSON.parse(line) as { id?: number; method?: string };
          if (parsed.method === "turn/start") turnStartId = parsed.id;
          write(line);
        },
      });
    };
    const answer = () => process?.send({ id: turnStartId, result: { turn: turn("inProgress") } });
    return { spawn, server: fake.server, answer, asked: () => turnStartId !== undefined };
  }

  it("an abort while turn/start is unanswered ends the read at once; the turn it started late is interrupted", async () => {
    const fake = slowTurnStart();
    const pool = new AppServerPool({ spawn: fake.spawn, idleMs: 10 });
    const controller = new AbortController();
    const { events } = await client(pool).startThread().runStreamed("x", { signal: controller.signal });
    expect((await events.next()).value).toMatchObject({ type: "thread.started" });
    const pending = events.next();
    await sleep(5);
    expect(fake.asked()).toBe(true);
    const started = performance.now();
    controller.abort();
    const outcome = await Promise.race([
      pending.then(
        () => "value",
        (error: Error) => error.name,
      ),
      sleep(1000).then(() => "still waiting"),
    ]);
    expect(outcome).toBe("AbortError");
    expect(performance.now() - started).toBeLessThan(500);
    // The app-server answers late: that turn is stopped, nothing is killed, and the process idles out.
    fake.answer();
    await sleep(20);
    expect(fake.server.requests.map((request) => request.method)).toContain("turn/interrupt");
    expect(fake.server.processes[0]?.signals).toEqual([]);
    await sleep(30);
    expect(pool.size).toBe(0);
    await pool.close();
  });

  it("property: runs aborted, broken off or closed unread at random moments leave nothing held", async () => {
    const step = fc.record({
      conversation: fc.nat({ max: 23 }),
      model: fc.nat({ max: 5 }),
      end: fc.oneof(
        fc.record({ kind: fc.constant("abort" as const), afterMs: fc.nat({ max: 12 }) }),
        fc.record({
          kind: fc.constantFrom("read" as const, "unread" as const, "break" as const, "throw" as const),
        }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.nat({ max: 8 }),
        fc.nat({ max: 6 }),
        async (steps, closeAfterMs, turnMs) => {
          const fake = loadingServer({
            closeAfterMs,
            gate: () => new Promise((resolve) => setTimeout(resolve, turnMs)),
          });
          const pool = new AppServerPool({ spawn: fake.spawn, spareQuietMs: 0, idleMs: 30 });
          const codex = client(pool);
          const ids = new Map<number, string>();
          try {
            const chains = new Map<number, (typeof steps)[number][]>();
            for (const next of steps)
              chains.set(next.conversation, [...(chains.get(next.conversation) ?? []), next]);
            await Promise.all(
              [...chains].map(async ([index, chain]) => {
                for (const { model, end } of chain) {
                  const id = ids.get(index);
                  const thread =
                    id === undefined
                      ? codex.startThread({ model: `m${model}` })
                      : codex.resumeThread(id, { model: `m${model}` });
                  const controller = new AbortController();
                  if (end.kind === "abort") setTimeout(() => controller.abort(), end.afterMs);
                  try {
                    const { events } = await thread.runStreamed("go", { signal: controller.signal });
                    if (end.kind === "unread") await events.return(undefined);
                    else if (end.kind === "throw")
                      await events.throw(new Error("consumer")).catch(() => undefined);
                    else {
                      for await (const event of events) {
                        if (event.type === "thread.started") ids.set(index, event.thread_id);
                        if (end.kind === "break") break;
                      }
                    }
                  } catch (error) {
                    expect((error as Error).name).toBe("AbortError");
                  }
                }
              }),
            );
            // Everything settled: a plain run still works and the process idles out (every lease given back).
            expect((await converse(codex, {})).at(-1)?.type).toBe("turn.completed");
            await new Promise((resolve) => setTimeout(resolve, STOP_TURN_TIMEOUT_MS / 20 + 60));
            expect(fake.violations).toEqual([]);
            // Every turn ended (endTurn): threads beyond the cap were unloaded.
            expect(fake.conversations().length).toBeLessThanOrEqual(MAX_IDLE_THREADS);
            expect(pool.size).toBe(0);
          } finally {
            await pool.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  it("a config codex cannot load is CODEX_INVALID_CONFIG on thread/start and thread/resume, as on exec", async () => {
    // 0.163's answer to a `config` leaf of the wrong type (exec says `Error loading config.toml: ...`).
    const refusal = 'failed to load configuration: invalid type: string "a\\0b", expected struct Notice';
    const { spawn } = fakeServer((method) =>
      method === "thread/start" || method === "thread/resume"
        ? { error: { code: -32600, message: refusal } }
        : { result: {} },
    );
    const pool = new AppServerPool({ spawn });
    for (const thread of [client(pool).startThread(), client(pool).resumeThread("th")]) {
      const error = await thread.runStreamed("x").catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "CODEX_INVALID_CONFIG", retryable: false });
      expect((error as CodexProviderError).details.upstreamMessage).toContain("failed to load configuration");
    }
    await pool.close();
  });

  it("a crash while a resume waits for thread/closed fails that run at once (retryable); the pool drops the process", async () => {
    const fake = loadingServer({ closeAfterMs: 10_000 });
    const pool = new AppServerPool({ spawn: fake.spawn });
    const codex = client(pool);
    const conversations = Array.from({ length: MAX_IDLE_THREADS + 1 }, () => ({}) as { id?: string });
    for (const conversation of conversations) await converse(codex, conversation);
    // conversations[0] is closing (no thread/closed for 10 s): its next run waits, then the process dies.
    const waiting = converse(codex, conversations[0] as { id?: string }).catch((error: unknown) => error);
    await sleep(10);
    const started = performance.now();
    fake.server.processes[0]?.crash({ exitCode: null, signal: "SIGKILL" });
    expect(await waiting).toMatchObject({ code: "CODEX_TRANSPORT_ERROR", retryable: true });
    expect(performance.now() - started).toBeLessThan(500);
    // The dead process left the pool: the next run spawns a new one.
    expect(pool.size).toBe(0);
    await converse(codex, {});
    expect(fake.server.spawned).toBe(2);
    await pool.close();
  });

  it("close() while spares are starting and unloads are pending rejects nothing unhandled and leaves no process", async () => {
    const fake = loadingServer({ closeAfterMs: 10_000 });
    const pool = new AppServerPool({ spawn: fake.spawn, spareQuietMs: 0 });
    const codex = client(pool);
    for (let index = 0; index < MAX_IDLE_THREADS + 3; index++)
      await converse(codex, {}, { model: `m${index % 6}` });
    // The quiet moment's spares are being requested right now.
    await sleep(0);
    await pool.close();
    expect(pool.size).toBe(0);
    await expect(converse(codex, {})).rejects.toMatchObject({ details: { failureCode: "provider_closed" } });
    await sleep(20);
  });

  it("a turn/start never answered after an abort: the process is killed after STOP_TURN_TIMEOUT_MS, nothing leaks", async () => {
    const fake = slowTurnStart();
    const pool = new AppServerPool({ spawn: fake.spawn, idleMs: 10 });
    const controller = new AbortController();
    const { events } = await client(pool).startThread().runStreamed("x", { signal: controller.signal });
    await events.next();
    const pending = events.next();
    await sleep(5);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(await events.next()).toEqual({ done: true, value: undefined });
    // Held (not idled out) while codex may still start the turn.
    await sleep(100);
    expect(pool.size).toBe(1);
    expect(fake.server.processes[0]?.signals).toEqual([]);
    await sleep(STOP_TURN_TIMEOUT_MS);
    expect(fake.server.processes[0]?.signals).toEqual(["SIGKILL"]);
    expect(pool.size).toBe(0);
    await pool.close();
  });
});
