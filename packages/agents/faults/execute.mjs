// Runs rows of the fault table (`scenarios.mjs`) on the real codex binary through the real SDK and a
// `CodexProvider` against the loopback emulator, and measures each: the typed error, time to failure, codex
// processes left and unhandled rejections. The provider class and bootstrap are parameters, so the runner passes
// the built dist and the fast test passes the source.
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { byMarker, createHermeticRun, customProviderConfig, startEmulator } from "@alphred/codex-emulator";
import { codexProcessesUsing } from "../src/providers/testing/processScan.mjs";
import { SCENARIOS } from "./scenarios.mjs";

/** A host under the reserved `.invalid` TLD; only ever looked up from inside an empty network namespace. */
export const UNRESOLVABLE_BASE_URL = "http://alphred-faults.invalid:9/v1";
/** A run not settled by itself after this long is aborted by the harness, and its row fails. */
export const DEFAULT_CAP_MS = 120_000;
/** Custom-provider SSE idle timeout (`stream_idle_timeout_ms`) for every custom row. */
export const CUSTOM_IDLE_MS = 2000;

const marker = (scenario) => `[faults:${scenario.id}]`;
let runs = 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether codex can be confined to a fresh, empty network namespace (`unshare -rn`): no interface up, no route,
 * so a DNS lookup fails with ENETUNREACH on this machine and no packet leaves it. Returns a reason when not.
 */
export function checkNetworkIsolation() {
  return new Promise((resolve) => {
    execFile("unshare", ["-rn", "cat", "/proc/net/route"], (error, stdout) => {
      if (error) return resolve({ ok: false, reason: `unshare -rn unavailable (${error.message.trim()})` });
      const routes = stdout.trim().split("\n").slice(1);
      resolve(
        routes.length === 0
          ? { ok: true }
          : { ok: false, reason: `the new network namespace still has ${routes.length} route(s)` },
      );
    });
  });
}

/** Starts the emulator serving every table turn, plus a closed port (connection refused). */
export async function startFaultServers() {
  const turns = Object.fromEntries(SCENARIOS.filter((s) => s.turn).map((s) => [marker(s), s.turn]));
  const emulator = await startEmulator({ script: byMarker(turns) });
  const dead = await startEmulator();
  await dead.close(); // Started and closed at once: its port now refuses connections.
  const isolation = await checkNetworkIsolation();
  const wrapperDir = await mkdtemp(path.join(os.tmpdir(), "alphred-faults-"));
  return {
    emulator,
    deadBaseUrl: dead.baseUrl,
    isolation,
    wrapperDir,
    async close() {
      await emulator.close();
      await rm(wrapperDir, { recursive: true, force: true });
    },
  };
}

/** A shell wrapper that execs the real codex (same pid) inside a new, empty network namespace. */
async function isolatedCodex(servers, codexPath) {
  const wrapper = path.join(servers.wrapperDir, "codex-no-network");
  await writeFile(wrapper, `#!/bin/sh\nexec unshare -rn -- '${codexPath.replaceAll("'", "'\\''")}' "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}

function baseUrlFor(scenario, servers) {
  if (scenario.action === "refused") return servers.deadBaseUrl;
  if (scenario.action === "unresolvable") return UNRESOLVABLE_BASE_URL;
  return servers.emulator.baseUrl;
}

function bootstrapFor(scenario, servers, bootstrapCodex) {
  if (scenario.action === "missing-binary")
    return async (env) => ({ ...(await bootstrapCodex(env)), codexPath: "/nonexistent/alphred/codex" });
  if (scenario.action === "unresolvable")
    return async (env) => {
      const boot = await bootstrapCodex(env);
      return { ...boot, codexPath: await isolatedCodex(servers, boot.codexPath) };
    };
  return undefined;
}

/** Resolves once `condition()` holds; throws after `ms`. */
async function until(condition, ms = 10_000) {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("faults: the condition never held");
    await sleep(20);
  }
}

/** The pids among `pids` whose parent is this process (field 4 of `/proc/<pid>/stat`). */
async function childrenOfThisProcess(pids) {
  const children = [];
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) children.push(pid);
    } catch {
      // It ended while we looked.
    }
  }
  return children;
}

/** Drives one run as the row's action says; returns the error it ended with (undefined when none). */
async function drive({ scenario, handle, run, abort, note, prompt, servers }) {
  try {
    if (scenario.action === "kill") {
      await handle.next();
      // Mid-turn: codex has sent its request and waits on the (hanging) server.
      await until(() => servers.emulator.requests.some((request) => request.prompt.includes(prompt)));
      // The SDK's own child (its parent is this process), not helpers codex may have started: those must go too.
      const pids = await childrenOfThisProcess(await codexProcessesUsing(run.codexHome, process.platform, 1));
      if (pids.length === 0) throw new Error("faults: no codex process to kill");
      note.killed = 0;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
          note.killed++;
        } catch (error) {
          if (error?.code !== "ESRCH") throw error; // It exited between the scan and the kill.
        }
      }
      if (note.killed === 0) throw new Error("faults: every codex process exited before the kill");
    }
    if (scenario.action === "abort") {
      await handle.next();
      setTimeout(() => abort.abort(new Error("faults: caller abort")), 500);
    }
    if (scenario.action === "return") {
      await handle.next();
      const pending = handle.next();
      await sleep(300);
      const t0 = performance.now();
      await handle.return();
      const step = await pending;
      note.returnMs = Math.round(performance.now() - t0);
      if (step.done !== true) throw new Error("faults: the pending next() did not settle as done");
      return undefined;
    }
    for (let step = await handle.next(); !step.done; step = await handle.next()) {
      // Drained; the ending is the point.
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Runs one row on one path. Returns a flat row: what was expected, the error's code/retryable/statusCode/
 * failureCode/exitCode/signal, time to failure (ms from `run()` to the settle), codex processes left and the
 * unhandled rejections seen while it ran (filled by {@link runMatrix}); `skipped` says why a row was not run.
 */
export async function runScenario(
  scenario,
  mode,
  { CodexProvider, bootstrapCodex, servers, capMs = DEFAULT_CAP_MS },
) {
  const row = { id: scenario.id, label: scenario.label, mode, expected: scenario.expect[mode] };
  if (scenario.action === "unresolvable" && !servers.isolation.ok)
    return { ...row, skipped: servers.isolation.reason };
  const baseUrl = baseUrlFor(scenario, servers);
  const run = await createHermeticRun({ baseUrl });
  try {
    const bootstrap = bootstrapFor(scenario, servers, bootstrapCodex);
    const provider = new CodexProvider({
      env: run.env,
      ...(mode === "custom"
        ? { config: customProviderConfig(baseUrl, { idleTimeoutMs: CUSTOM_IDLE_MS }) }
        : {}),
      ...(bootstrap ? { bootstrap } : {}),
    });
    const abort = new AbortController();
    const cap = AbortSignal.timeout(capMs);
    const note = {};
    const started = performance.now();
    // The prompt's marker picks the emulator turn; the run number tells this run's requests from other runs'.
    const prompt = `${marker(scenario)} run ${++runs} go`;
    const handle = provider.run(prompt, {
      workingDirectory: run.workingDirectory,
      signal: AbortSignal.any([abort.signal, cap]),
      ...scenario.options,
    });
    const error = await drive({ scenario, handle, run, abort, note, prompt, servers });
    const ms = Math.round(performance.now() - started);
    const details = error?.details ?? {};
    return {
      ...row,
      code: error === undefined ? null : (error.code ?? `not typed: ${String(error)}`),
      retryable: error?.retryable,
      statusCode: details.statusCode,
      failureCode: details.failureCode,
      retryAfterMs: details.retryAfterMs,
      exitCode: details.exitCode,
      signal: details.signal,
      ms,
      capped: cap.aborted,
      processesLeft: (await codexProcessesUsing(run.codexHome)).length,
      // Requests that reached the emulator for this row: how often codex retried by itself.
      posts: servers.emulator.requests.filter(
        (request) => request.method === "POST" && request.prompt.includes(prompt),
      ).length,
      ...note,
    };
  } finally {
    await run.cleanup();
  }
}

/**
 * Runs `jobs` (`[scenario, mode]` pairs) at most `concurrency` at a time, counting process-level unhandled
 * rejections per row (a rejection is charged to every row in flight when it fired). Rows come back in job order.
 */
export async function runMatrix(jobs, deps, { concurrency = 2, onRow } = {}) {
  const inFlight = new Set();
  const onRejection = () => {
    for (const counter of inFlight) counter.rejections++;
  };
  process.on("unhandledRejection", onRejection);
  const rows = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const [scenario, mode] = jobs[index];
      const counter = { rejections: 0 };
      inFlight.add(counter);
      try {
        const row = await runScenario(scenario, mode, deps);
        // A rejection surfaces a tick after it happened; give it that tick before closing the window.
        await sleep(20);
        rows[index] = { ...row, rejections: counter.rejections };
      } catch (error) {
        rows[index] = {
          id: scenario.id,
          label: scenario.label,
          mode,
          expected: scenario.expect[mode],
          crashed: String(error?.stack ?? error),
          rejections: counter.rejections,
        };
      } finally {
        inFlight.delete(counter);
      }
      onRow?.(rows[index]);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  return rows;
}
