import { readdir, readFile } from "node:fs/promises";
import {
  byMarker,
  createHermeticRun,
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  startEmulator,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ProviderEvent, ResultEvent } from "../../provider.js";
import { CodexProvider } from "../codex.js";
import type { CodexConfigObject } from "../codexOptions.js";
import { expectSuccess, SHARED_TURNS } from "../testing/e2e.js";
import { codexProcessesUsing } from "../testing/harness.js";
import { AppServerPool, SPARE_THREADS } from "./client.js";
import { MAX_IDLE_THREADS, MAX_SPARE_SETS } from "./connection.js";

// A long-lived app-server stays bounded, on the real binary against the emulator: the process holds the most
// recently used MAX_IDLE_THREADS threads (plus spares), answers so itself (`thread/loaded/list`), its memory stops
// growing with the number of conversations, and a conversation whose thread was unloaded continues where it was.

let emulator: Emulator;
let run: HermeticRun;
let pool: AppServerPool;
let provider: CodexProvider;
const figures: Record<string, number> = {};
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

beforeAll(async () => {
  emulator = await startEmulator({ script: byMarker(SHARED_TURNS) });
  run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  // The provider's own pool, reachable: the test asks the process what it holds.
  pool = new AppServerPool();
  provider = new CodexProvider({
    transport: "app-server",
    env: run.env,
    config: customProviderConfig(emulator.baseUrl, { idleTimeoutMs: 5000 }) as CodexConfigObject,
    createClient: pool.createClient,
  });
});

afterAll(async () => {
  await pool?.close();
  await emulator?.close();
  await run?.cleanup();
  console.log(`[app-server loaded threads] figures: ${JSON.stringify(figures)}`);
});

interface Outcome {
  events: ProviderEvent[];
  threadId: string;
  ms: number;
}

async function turn(resumeThreadId?: string): Promise<Outcome> {
  const events: ProviderEvent[] = [];
  const started = performance.now();
  for await (const event of provider.run("[[e2e:message]] please help", {
    workingDirectory: run.workingDirectory,
    timeout: 45_000,
    ...(resumeThreadId === undefined ? {} : { resumeThreadId }),
  })) {
    events.push(event);
  }
  const ms = performance.now() - started;
  expectSuccess({ events }, "Hello from the emulator.");
  return { events, threadId: (events.at(-1) as ResultEvent).metadata?.threadId as string, ms };
}

async function loaded(): Promise<string[]> {
  const [connection] = await pool.connections();
  const answer = (await connection?.request("thread/loaded/list", {})) as { data: string[] };
  return answer.data;
}

async function rssMb(): Promise<number> {
  const [pid] = await codexProcessesUsing(run.codexHome, process.platform, 1, "app-server");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

it("holds at most MAX_IDLE_THREADS + spares threads however many conversations run, and resumes an unloaded one", async () => {
  const conversations: Outcome[] = [];
  for (let index = 0; index < MAX_IDLE_THREADS + 4; index++) conversations.push(await turn());
  await new Promise((resolve) => setTimeout(resolve, 300)); // spares start, unloaded threads close
  const held = await loaded();
  expect(held.length).toBeLessThanOrEqual(MAX_IDLE_THREADS + MAX_SPARE_SETS * SPARE_THREADS);
  const ids = conversations.map((outcome) => outcome.threadId);
  expect(new Set(ids).size).toBe(ids.length);
  // The four least recently used were unloaded; the most recent MAX_IDLE_THREADS are held.
  for (const id of ids.slice(0, 4)) expect(held).not.toContain(id);
  for (const id of ids.slice(4)) expect(held).toContain(id);

  // An unloaded conversation continues: same thread, cumulative usage, its history sent to the model.
  const [first] = conversations as [Outcome];
  const firstResult = (first.events.at(-1) as ResultEvent).metadata as { usage: { inputTokens: number } };
  const resumed = await turn(first.threadId);
  expect(resumed.threadId).toBe(first.threadId);
  expect(resumed.events.at(-1)?.metadata).toMatchObject({
    usage: { inputTokens: firstResult.usage.inputTokens },
    threadUsage: { inputTokens: 2 * firstResult.usage.inputTokens },
  });
  const body = JSON.stringify(emulator.requests.filter((request) => request.method === "POST").at(-1)?.body);
  expect(body.match(/please help/g)?.length).toBe(2);
  expect(await loaded()).toContain(first.threadId);

  // What a turn on an unloaded thread costs over one on a held thread (thread/resume first).
  const warm: number[] = [];
  const cold: number[] = [];
  for (let index = 0; index < 5; index++) {
    warm.push((await turn(first.threadId)).ms);
    // ids[4 + index] was unloaded by an earlier run (the least recently used idle thread then): it resumes first.
    expect(await loaded()).not.toContain(ids[4 + index]);
    cold.push((await turn(ids[4 + index])).ms);
  }
  figures.heldTurnMs = Math.round(median(warm));
  figures.unloadedTurnMs = Math.round(median(cold));
}, 120_000);

it("memory stops growing with the number of conversations; unused spares leave nothing on disk", async () => {
  // The process holds a full set first (this test also runs alone): then memory is measured over 40 more runs.
  for (let index = 0; index < MAX_IDLE_THREADS + 4; index++) await turn();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = await rssMb();
  const runs = 40;
  const sessionsBefore = (await readdir(run.codexHome, { recursive: true })).filter((f) =>
    f.endsWith(".jsonl"),
  ).length;
  for (let index = 0; index < runs; index++) await turn();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = await rssMb();
  figures.rssBeforeMb = Math.round(before);
  figures.rssAfterMb = Math.round(after);
  figures.rssPerRunKb = Math.round(((after - before) * 1024) / runs);
  // Unbounded, each conversation kept ~1.3 MB here (measured: +53 MB for 40 runs); bounded, the process plateaus.
  expect(after - before).toBeLessThan(20);
  expect((await loaded()).length).toBeLessThanOrEqual(MAX_IDLE_THREADS + MAX_SPARE_SETS * SPARE_THREADS);
  // One rollout per conversation that ran a turn: the spares started and dropped on the way wrote none.
  const sessionsAfter = (await readdir(run.codexHome, { recursive: true })).filter((f) =>
    f.endsWith(".jsonl"),
  ).length;
  expect(sessionsAfter - sessionsBefore).toBe(runs);
}, 120_000);
