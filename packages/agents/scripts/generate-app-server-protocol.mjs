#!/usr/bin/env node
// `pnpm gen:app-server`: regenerates src/providers/appServer/protocol/ from the pinned codex binary
// (`codex app-server generate-ts --experimental`), keeping only the types we consume (see protocolSelect.ts).
// `--out <dir>` writes elsewhere (the drift test compares such a copy with the committed one).
// Loads the TypeScript sources directly (appServerSources.mjs): run it with `--experimental-strip-types`.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { appServerDir, importAppServer } from "./appServerSources.mjs";

const { resolveCodexBinary, realCodexIo } = await importAppServer("core.ts");
const { selectProtocolFiles } = await importAppServer("protocolSelect.ts");

const { values } = parseArgs({ options: { out: { type: "string" } } });
const outDir = path.resolve(values.out ?? path.join(appServerDir, "protocol"));
const run = promisify(execFile);

async function readTree(root, dir = "") {
  const files = new Map();
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of await readTree(root, relative)) files.set(k, v);
    else if (entry.name.endsWith(".ts"))
      files.set(relative, await readFile(path.join(root, relative), "utf8"));
  }
  return files;
}

const binary = resolveCodexBinary(realCodexIo, process.platform, process.arch);
// A private, empty CODEX_HOME: the generator must not read or write the user's configuration.
const scratch = await mkdtemp(path.join(os.tmpdir(), "alphred-app-server-protocol-"));
try {
  const env = { PATH: process.env.PATH ?? "", HOME: scratch, CODEX_HOME: scratch };
  const { stdout: version } = await run(binary.executablePath, ["--version"], { env });
  const generated = path.join(scratch, "out");
  await run(binary.executablePath, ["app-server", "generate-ts", "--experimental", "--out", generated], {
    env,
  });
  const selected = selectProtocolFiles(await readTree(generated), version.trim());
  // Replace every generated file; keep what is not TypeScript (biome.json).
  for (const file of (await readTree(outDir).catch(() => new Map())).keys())
    await rm(path.join(outDir, file));
  for (const [file, text] of selected) {
    await mkdir(path.dirname(path.join(outDir, file)), { recursive: true });
    await writeFile(path.join(outDir, file), text);
  }
  console.log(`${version.trim()}: wrote ${selected.size} files to ${outDir}`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
