#!/usr/bin/env node
// `pnpm compat`: runs the end-to-end tier (every `*.e2e.test.ts` of this package) with the pinned
// `@openai/codex-sdk` against several published `codex` binaries and writes docs/compatibility.md.
// Each binary is installed with `npm install --prefix <tmp>/<version>`; the tier is pointed at it through
// ALPHRED_CODEX_PATH, which only the test harness reads.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const PACKAGE = path.join(ROOT, "packages/agents");
const PINNED = JSON.parse(await readFile(path.join(PACKAGE, "package.json"), "utf8")).dependencies[
  "@openai/codex"
];
const SDK_VERSION = JSON.parse(await readFile(path.join(PACKAGE, "package.json"), "utf8")).dependencies[
  "@openai/codex-sdk"
];

const { values } = parseArgs({
  options: {
    versions: { type: "string" },
    older: { type: "string", default: "0.150.1" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    out: { type: "string", default: path.join(ROOT, "docs/compatibility.md") },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`usage: pnpm compat [--versions a,b,c] [--older 0.150.1] [--dir <install dir>] [--keep] [--out <md>]
default versions: the pinned ${PINNED}, the registry's latest, and --older`);
  process.exit(0);
}

/** The registry's `latest` tag, asked through npm itself. */
async function latestVersion() {
  const { stdout } = await run("npm", ["view", "@openai/codex", "dist-tags.latest"], { encoding: "utf8" });
  return stdout.trim();
}

const versions = values.versions
  ? values.versions.split(",").map((entry) => entry.trim())
  : [...new Set([PINNED, await latestVersion(), values.older])];
const installRoot = values.dir ?? (await mkdtemp(path.join(os.tmpdir(), "alphred-compat-")));

/** Finds the native `codex` executable inside an installed `@openai/codex` (layouts differ by version). */
async function findBinary(prefix) {
  const vendorRoots = [];
  const scope = path.join(prefix, "node_modules/@openai");
  for (const entry of await readdir(scope)) {
    const vendor = path.join(scope, entry, "vendor");
    if (existsSync(vendor)) vendorRoots.push(vendor);
  }
  const name = process.platform === "win32" ? "codex.exe" : "codex";
  for (const vendor of vendorRoots) {
    for (const file of await readdir(vendor, { recursive: true })) {
      const full = path.join(vendor, file);
      if (path.basename(file) === name && (await stat(full)).isFile() && !file.includes("codex-path"))
        return full;
    }
  }
  throw new Error(`no ${name} binary under ${scope}`);
}

async function install(version) {
  const prefix = path.join(installRoot, version);
  await mkdir(prefix, { recursive: true });
  if (!existsSync(path.join(prefix, "node_modules/@openai/codex/package.json"))) {
    console.error(`installing @openai/codex@${version} into ${prefix} ...`);
    await run("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", `@openai/codex@${version}`], {
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  return findBinary(prefix);
}

/** The e2e files of the package: vitest takes file filters as positional arguments. */
async function e2eFiles() {
  const dir = path.join(PACKAGE, "src/providers");
  return (await readdir(dir))
    .filter((file) => file.endsWith(".e2e.test.ts"))
    .map((file) => path.join(dir, file));
}

/** Runs the e2e files with one binary; vitest writes its JSON report to `reportFile`. */
function runFiles(binary, reportFile, files) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      "pnpm",
      ["vitest", "run", ...files, "--reporter=json", `--outputFile=${reportFile}`],
      {
        cwd: ROOT,
        env: { ...process.env, ALPHRED_CODEX_PATH: binary },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    child.once("close", (code) => resolve({ code, wallMs: Date.now() - started }));
  });
}

const files = await e2eFiles();
const rows = [];
for (const version of versions) {
  let binary;
  let codexVersion = "";
  try {
    binary = await install(version);
    codexVersion = (await run(binary, ["--version"], { encoding: "utf8" })).stdout.trim();
  } catch (error) {
    rows.push({ version, codexVersion: "install failed", error: String(error).slice(0, 300), tests: [] });
    continue;
  }
  console.error(`running the e2e tier with ${codexVersion} (${binary}) ...`);
  const reportFile = path.join(installRoot, `report-${version}.json`);
  const { code, wallMs } = await runFiles(binary, reportFile, files);
  let tests = [];
  try {
    const report = JSON.parse(await readFile(reportFile, "utf8"));
    tests = report.testResults.flatMap((file) =>
      file.assertionResults.map((test) => ({
        file: path.basename(file.name),
        name: test.fullName ?? test.title,
        status: test.status,
        message: (test.failureMessages?.[0] ?? "").split("\n")[0].slice(0, 240),
      })),
    );
  } catch (error) {
    rows.push({
      version,
      codexVersion,
      error: `no report (${String(error).slice(0, 200)})`,
      tests,
      code,
      wallMs,
    });
    continue;
  }
  rows.push({ version, codexVersion, tests, code, wallMs });
  const failed = tests.filter((test) => test.status === "failed").length;
  console.error(`  ${tests.length - failed}/${tests.length} passed in ${(wallMs / 1000).toFixed(1)} s`);
}

const cell = (text) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const lines = [
  "# Compatibility",
  "",
  `Generated by \`pnpm compat\` (\`packages/agents/scripts/compatibility.mjs\`) on ${new Date().toISOString().slice(0, 10)},`,
  `${process.platform}/${process.arch}, Node ${process.version}. Each published \`@openai/codex\` binary runs the`,
  `end-to-end tier (${files.map((file) => `\`${path.basename(file)}\``).join(", ")}) through the pinned`,
  `\`@openai/codex-sdk\` ${SDK_VERSION} and \`CodexProvider\`, against the loopback emulator. The binary is chosen with`,
  "`ALPHRED_CODEX_PATH`, which only the test harness reads; the package itself always runs the pinned binary.",
  "What the differences mean and how the code handles them: `docs/codex-runtime-runbook.md`, Compatibility.",
  "The app-server transport is gated to the pinned minor version (its protocol is experimental upstream), so with",
  'any other binary its rows fail by design with `CODEX_INVALID_CONFIG` ("The app-server transport supports codex',
  '0.163.x …"); the exec rows are the compatibility signal.',
  "",
  "| `@openai/codex` | `codex --version` | passed | failed | wall |",
  "| --- | --- | --- | --- | --- |",
  ...rows.map((row) => {
    const failed = row.tests.filter((test) => test.status === "failed").length;
    const passed = row.tests.filter((test) => test.status === "passed").length;
    const pinned = row.version === PINNED ? " (pinned)" : "";
    const wall = row.wallMs === undefined ? "—" : `${(row.wallMs / 1000).toFixed(0)} s`;
    return `| ${row.version}${pinned} | ${cell(row.codexVersion)} | ${row.error ? "—" : passed} | ${row.error ? cell(row.error) : failed} | ${wall} |`;
  }),
  "",
];
for (const row of rows) {
  const failures = row.tests.filter((test) => test.status === "failed");
  if (failures.length === 0) continue;
  lines.push(`## Failures with ${row.version}`, "");
  for (const test of failures) lines.push(`- ${cell(test.name)}: ${cell(test.message)}`);
  lines.push("");
}
await writeFile(values.out, `${lines.join("\n")}\n`);
// Keep the generated tables in the repository's formatting (biome aligns markdown tables).
await run("pnpm", ["exec", "biome", "format", "--write", values.out], { cwd: ROOT }).catch(() => undefined);
console.error(`wrote ${path.relative(ROOT, values.out)}`);
if (!values.keep && !values.dir) await rm(installRoot, { recursive: true, force: true });
process.exit(rows.some((row) => row.error || row.tests.some((test) => test.status === "failed")) ? 1 : 0);
