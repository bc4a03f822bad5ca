// The live-process scan shared by the typed test harness (harness.ts re-exports it) and the plain-JS fault
// runner (`pnpm faults`, which runs the built dist and cannot import TypeScript). Plain JS so both load one copy.
import { readdir, readFile } from "node:fs/promises";

/**
 * PIDs of live processes whose environment names this CODEX_HOME. Reads Linux `/proc`; on any other platform it
 * throws instead of returning an empty list that would let a leak test pass vacuously. Polls up to `attempts`
 * times 50 ms apart until none is left (a process being torn down needs a moment); `attempts = 1` is one look.
 * With `command`, only processes whose command line contains it (e.g. `app-server`).
 */
export async function codexProcessesUsing(codexHome, platform = process.platform, attempts = 40, command) {
  if (platform !== "linux") throw new Error(`codexProcessesUsing needs Linux /proc; this is ${platform}`);
  let found = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    found = [];
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const environ = await readFile(`/proc/${entry}/environ`, "latin1");
        const stat = await readFile(`/proc/${entry}/stat`, "latin1");
        const cmdline = command === undefined ? "" : await readFile(`/proc/${entry}/cmdline`, "latin1");
        if (
          environ.includes(`CODEX_HOME=${codexHome}\0`) &&
          !/\) Z /.test(stat) &&
          (command === undefined || cmdline.includes(command))
        )
          found.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    if (found.length === 0) return found;
  }
  return found;
}
