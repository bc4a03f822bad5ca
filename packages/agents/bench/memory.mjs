// 4. Memory: a command printing 20 MB. Codex cuts what it carries (~1 MiB of `aggregated_output`), so the host
// (this node process: the SDK and CodexProvider) must not grow by much more than the largest event it hands
// out. The emulator runs in a child process so its buffers do not count; RSS is sampled every 2 ms and at every
// event, against a baseline taken after GC right before the turn (after a small warm-up turn).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { CodexProvider } from "@alphred/agents";
import { createHermeticRun } from "@alphred/codex-emulator";
import { providerTurn, sdkClient, sdkTurn } from "./harness.mjs";
import { reportMemory } from "./report.mjs";

export { reportMemory as report };

/** Bytes the command prints. */
export const PRINTED_BYTES = 20 * 2 ** 20;

const turns = {
  "[bench-mem:warm]": {
    steps: [{ items: [{ type: "exec", cmd: "echo warm" }] }, { items: [{ type: "message", text: "warm" }] }],
  },
  "[bench-mem:20mb]": {
    steps: [
      // 20 MiB of 64-byte lines.
      { items: [{ type: "exec", cmd: `yes '${"x".repeat(63)}' | head -c ${PRINTED_BYTES}` }] },
      { items: [{ type: "message", text: "That was a lot of output." }] },
    ],
  },
};

async function startEmulatorProcess() {
  const child = spawn(
    process.execPath,
    [new URL("./emulatorProcess.mjs", import.meta.url).pathname, JSON.stringify(turns)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const [baseUrl] = await once(createInterface({ input: child.stdout }), "line");
  return {
    baseUrl,
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/**
 * Bytes of the largest event's JSON, measured after the turn: serializing a 2 MB event inside the watched window
 * would count the bench's own copy as the host's growth. The events are kept meanwhile, as a consumer holding
 * them would.
 */
function largestJsonBytes(events) {
  return Math.max(0, ...events.map((event) => Buffer.byteLength(JSON.stringify(event))));
}

/** Host RSS right before `body` (after GC) and its peak while `body` runs; `body` gets the sampler. */
async function watchRss(body) {
  globalThis.gc?.();
  globalThis.gc?.();
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 2);
  try {
    await body(sample);
  } finally {
    clearInterval(timer);
  }
  sample();
  return { baselineRss, peakRss };
}

/**
 * Runs `reps` measured 20 MB turns through CodexProvider and, alternating with them, through the raw SDK (for
 * reference: what the SDK alone holds). Returns `{ samples, sdkSamples }` for `reportMemory`.
 */
export async function measure({ reps = 2 } = {}) {
  const emulator = await startEmulatorProcess();
  const runs = await Promise.all([0, 1].map(() => createHermeticRun({ baseUrl: emulator.baseUrl })));
  const [providerRun, sdkRun] = runs;
  try {
    const provider = new CodexProvider({ env: providerRun.env });
    const codex = sdkClient(sdkRun);
    await providerTurn(provider, providerRun, "[bench-mem:warm] go");
    await sdkTurn(codex, sdkRun, "[bench-mem:warm] go");
    const arms = {
      provider: async () => {
        const seen = [];
        const rss = await watchRss((sample) =>
          providerTurn(provider, providerRun, "[bench-mem:20mb] go", {
            onEvent: (event) => {
              sample();
              seen.push(event);
            },
          }),
        );
        return { ...rss, largestEventBytes: largestJsonBytes(seen), printedBytes: PRINTED_BYTES };
      },
      sdk: async () => {
        const seen = [];
        const rss = await watchRss((sample) =>
          sdkTurn(codex, sdkRun, "[bench-mem:20mb] go", {
            onEvent: (event) => {
              sample();
              seen.push(event);
            },
          }),
        );
        return { ...rss, largestEventBytes: largestJsonBytes(seen), printedBytes: PRINTED_BYTES };
      },
    };
    const samples = [];
    const sdkSamples = [];
    for (let rep = 0; rep < reps; rep++) {
      for (const arm of rep % 2 === 0 ? ["provider", "sdk"] : ["sdk", "provider"]) {
        (arm === "provider" ? samples : sdkSamples).push(await arms[arm]());
      }
    }
    return { samples, sdkSamples };
  } finally {
    await emulator.close();
    await Promise.all(runs.map((run) => run.cleanup()));
  }
}
