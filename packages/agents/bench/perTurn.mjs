// 2. Per turn: provider.run against raw thread.runStreamed on the same emulator turn (a message; a 3-step tool
// turn), the real codex binary on the default OPENAI_BASE_URL path, in interleaved pairs whose order
// alternates, so outside load hits both arms alike.
import { CodexProvider } from "@alphred/agents";
import { byMarker, createHermeticRun, startEmulator } from "@alphred/codex-emulator";
import { providerTurn, sdkClient, sdkTurn } from "./harness.mjs";
import { reportPerTurn } from "./report.mjs";

export { reportPerTurn as report };

/** The two turns: a plain answer, and three model round trips (two commands, then the answer). */
export const TURNS = {
  message: { steps: [{ items: [{ type: "message", text: "Hello from the bench." }] }] },
  "3-step tool": {
    steps: [
      { items: [{ type: "exec", cmd: "echo one" }] },
      { items: [{ type: "exec", cmd: "printf 'two\\n%.0s' 1 2 3" }] },
      { items: [{ type: "message", text: "Ran both commands." }] },
    ],
  },
};

const marker = (kind) => `[bench-turn:${kind}]`;

/** Runs `pairs` interleaved pairs per kind after one warm-up turn per arm; returns `{ kind, pairs }[]`. */
export async function measure({ pairs = 20 } = {}) {
  const script = byMarker(
    Object.fromEntries(Object.entries(TURNS).map(([kind, turn]) => [marker(kind), turn])),
  );
  const emulator = await startEmulator({ script });
  const runs = await Promise.all([0, 1].map(() => createHermeticRun({ baseUrl: emulator.baseUrl })));
  const [sdkRun, providerRun] = runs;
  try {
    const codex = sdkClient(sdkRun);
    const provider = new CodexProvider({ env: providerRun.env });
    const results = [];
    for (const kind of Object.keys(TURNS)) {
      const prompt = `${marker(kind)} go`;
      const arm = {
        sdk: () => sdkTurn(codex, sdkRun, prompt),
        provider: () => providerTurn(provider, providerRun, prompt),
      };
      await arm.sdk();
      await arm.provider();
      const samples = [];
      for (let i = 0; i < pairs; i++) {
        const order = i % 2 === 0 ? ["sdk", "provider"] : ["provider", "sdk"];
        const pair = {};
        for (const which of order) {
          const times = await arm[which]();
          pair[which] = {
            totalMs: times.endMs - times.startMs,
            firstEventMs: times.firstEventMs - times.startMs,
          };
        }
        samples.push(pair);
      }
      results.push({ kind, pairs: samples });
    }
    return results;
  } finally {
    await emulator.close();
    await Promise.all(runs.map((run) => run.cleanup()));
  }
}
