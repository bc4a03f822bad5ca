import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

// Runs the real binary's generator through the committed script into a temp dir and compares it with the
// committed protocol/: any difference means the pinned binary's schema (or its version) drifted.
// Fix: `pnpm gen:app-server`, then review the diff and the zod schemas in wire.ts.
// The flag lets Node 22.15–22.17 (the floor) load the script's .ts imports; 22.18+ strip types by default.

const SCRIPT = fileURLToPath(new URL("../../../scripts/generate-app-server-protocol.mjs", import.meta.url));
const COMMITTED = fileURLToPath(new URL("./protocol/", import.meta.url));

async function readTsTree(root: string, dir = ""): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of await readTsTree(root, relative)) files.set(k, v);
    else if (entry.name.endsWith(".ts"))
      files.set(relative, await readFile(path.join(root, relative), "utf8"));
  }
  return files;
}

it("the committed protocol types equal what the pinned codex binary generates", async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), "alphred-protocol-drift-"));
  try {
    await promisify(execFile)(process.execPath, ["--experimental-strip-types", SCRIPT, "--out", out]);
    const generated = await readTsTree(out);
    const committed = await readTsTree(COMMITTED);
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    const differing = [...generated].filter(([file, text]) => committed.get(file) !== text).map(([f]) => f);
    expect(differing).toEqual([]);
    expect(generated.get("index.ts")).toContain("codex-cli 0.163.0");
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
