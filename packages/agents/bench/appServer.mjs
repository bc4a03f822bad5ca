// 6. The app-server transport (issue 11): a warm app-server turn against a cold exec turn (budget ≤ 0.3×), the
// time from an abort to the settled error, and a 10-turn conversation on both transports. The real codex binary
// through CodexProvider's public options against the in-process emulator, on the default OPENAI_BASE_URL path.
import { CodexProvider } from "@alphred/agents";
import { byMarker, createHermeticRun, startEmulator } from "@alphred/codex-emulator";
import { providerTurn } from "./harness.mjs";
import { reportAppServer } from "./report.mjs";

export { reportAppServer as report };

const SLEEP = "sleep 53.21";
const TURNS = {
  "[bench-as:message]": { steps: [{ items: [{ type: "message", text: "Hello from the bench." }] }] },
  "[bench-as:sleep]": {
    steps: [{ items: [{ type: "exec", cmd: SLEEP }] }, { items: [{ type: "message", text: "slept" }] }],
  },
};

/** One aborted turn: abort at the command's `tool_use`, ms from the abort to the typed error. */
async function interruptTurn(provider, run) {
  const controller = new AbortController();
  let abortedAt;
  try {
    for await (const event of provider.run("[bench-as:sleep] go", {
      workingDirectory: run.workingDirectory,
      signal: controller.signal,
      timeout: 60_000,
    })) {
      if (event.type === "tool_use" && abortedAt === undefined) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
  } catch (error) {
    if (error?.code !== "CODEX_ABORTED") throw error;
    return performance.now() - abortedAt;
  }
  throw new Error("bench: the aborted turn did not fail with CODEX_ABORTED");
}

/**
 * Measures `pairs` interleaved (cold exec turn, warm app-server turn) pairs of the same emulator turn — a new
 * thread's first turn, and the second turn of a conversation; `interrupts` aborted turns per transport; one `conversationTurns`-turn conversation (one thread, resumed
 * each turn) per transport.
 */
export async function measure({ pairs = 20, interrupts = 5, conversationTurns = 10 } = {}) {
  const emulator = await startEmulator({ script: byMarker(TURNS) });
  const runs = await Promise.all([0, 1].map(() => createHermeticRun({ baseUrl: emulator.baseUrl })));
  const [execRun, appRun] = runs;
  const exec = new CodexProvider({ env: execRun.env });
  const app = new CodexProvider({ env: appRun.env, transport: "app-server" });
  const prompt = "[bench-as:message] go";
  try {
    const startedCold = performance.now();
    await providerTurn(app, appRun, prompt);
    const appFirstTurnMs = performance.now() - startedCold;
    await providerTurn(exec, execRun, prompt);
    const turn = (which, options) =>
      which === "exec"
        ? providerTurn(exec, execRun, prompt, options)
        : providerTurn(app, appRun, prompt, options);
    // A new thread's first turn on each transport.
    const samples = [];
    // The second turn of a conversation on each transport: a thread is started untimed, then its next turn is
    // timed — `codex exec resume` in a new process against a turn on the warm process that holds the thread (what
    // the issue's ~50 ms "warm turn" measured). Each pair starts its own threads, so history never grows.
    const continued = [];
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? ["exec", "app"] : ["app", "exec"];
      const pair = {};
      const next = {};
      for (const which of order) {
        const times = await turn(which);
        pair[which] = times.endMs - times.startMs;
        const again = await turn(which, { resumeThreadId: times.threadId });
        next[which] = again.endMs - again.startMs;
      }
      samples.push(pair);
      continued.push(next);
    }
    const interrupt = { exec: [], app: [] };
    for (let i = 0; i < interrupts; i++) {
      interrupt.app.push(await interruptTurn(app, appRun));
      interrupt.exec.push(await interruptTurn(exec, execRun));
    }
    const conversation = {};
    for (const [which, provider, run] of [
      ["exec", exec, execRun],
      ["app", app, appRun],
    ]) {
      // One thread: the first turn starts it, the others resume it by id (issue 9's `resumeThreadId`).
      const started = performance.now();
      let resumeThreadId;
      for (let i = 0; i < conversationTurns; i++) {
        ({ threadId: resumeThreadId } = await providerTurn(provider, run, prompt, { resumeThreadId }));
        if (typeof resumeThreadId !== "string")
          throw new Error("bench: a conversation turn reported no thread");
      }
      conversation[which] = performance.now() - started;
    }
    return { samples, continued, interrupt, conversation, conversationTurns, appFirstTurnMs };
  } finally {
    await app.close();
    await emulator.close();
    await Promise.all(runs.map((run) => run.cleanup()));
  }
}
