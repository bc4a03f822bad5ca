#!/usr/bin/env node
// `pnpm consumer-check`: installs the packages the way a user does and proves they work there.
//   1. `pnpm pack` both packages (their `prepack` builds them) and inspect the tarballs: LICENSE, CHANGELOG,
//      README without repository-relative links, every `exports` target present, no sources or tests, every
//      sourcemap self-contained, `engines.node` equal to the repository's floor.
//   2. publint (strict) and @arethetypeswrong/cli (`node16` profile) on each tarball.
//   3. Two scratch projects in a temp directory, one ESM and one CommonJS, install the tarballs (from the local
//      pnpm store when it has the packages), type-check a consumer with strict `tsc` (`module: nodenext`,
//      `skipLibCheck: false`), compile it and run one real codex turn plus one failing turn against the emulator
//      from the installed packages. The CommonJS project loads both packages with `require()`.
// Prints the time of each step; exits non-zero on the first failure. `--keep` keeps the temp directory.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["agents", "codex-emulator"];
const keep = process.argv.includes("--keep");
const rootManifest = readJson(path.join(ROOT, "package.json"));
const work = mkdtempSync(path.join(tmpdir(), "alphred-consumer-"));
const timings = [];
const started = performance.now();

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** Runs a command; its output is shown only when it fails (or always, with `inherit`). Returns stdout and stderr. */
function run(command, args, cwd, options = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: options.inherit ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    timeout: options.timeout ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd} (${result.error ?? `exit ${result.status}`})`,
    );
  }
  return { stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

async function step(name, body) {
  const begin = performance.now();
  console.log(`consumer-check: ${name}`);
  await body();
  timings.push([name, Math.round(performance.now() - begin)]);
}

function check(condition, message) {
  if (!condition) throw new Error(`consumer-check: ${message}`);
}

/** Every problem of one unpacked tarball; empty when it is fine. */
function inspectTarball(name, dir) {
  const problems = [];
  const files = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(path.relative(dir, full).split(path.sep).join("/"));
    }
  };
  walk(dir);
  const manifest = readJson(path.join(dir, "package.json"));
  for (const required of ["LICENSE", "CHANGELOG.md", "README.md"]) {
    if (!files.includes(required)) problems.push(`${required} missing`);
  }
  const targets = [];
  const collect = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(manifest.exports);
  for (const target of targets) {
    if (!files.includes(path.posix.normalize(target))) problems.push(`exports target ${target} missing`);
  }
  for (const file of files) {
    if (file.startsWith("src/") || /\.test\.|fixtures\//.test(file)) problems.push(`${file} should not ship`);
    if (!file.endsWith(".map")) continue;
    const map = readJson(path.join(dir, file));
    map.sources.forEach((source, index) => {
      const shipped = files.includes(path.posix.join(path.posix.dirname(file), source));
      if (!shipped && typeof map.sourcesContent?.[index] !== "string") {
        problems.push(`${file} points at unshipped ${source} without sourcesContent`);
      }
    });
  }
  const readme = readFileSync(path.join(dir, "README.md"), "utf8");
  for (const [, link] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^(https?:|mailto:|#)/.test(link))
      problems.push(`README link ${link} breaks on npm (use an absolute URL)`);
  }
  if (manifest.engines?.node !== rootManifest.engines.node) {
    problems.push(
      `engines.node ${manifest.engines?.node} differs from the repository's ${rootManifest.engines.node}`,
    );
  }
  for (const field of ["license", "repository", "homepage", "bugs", "keywords", "publishConfig"]) {
    if (manifest[field] === undefined) problems.push(`package.json lacks ${field}`);
  }
  for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
    if (range.startsWith("workspace:")) problems.push(`dependency ${dependency} still says ${range}`);
  }
  return problems.map((problem) => `${name}: ${problem}`);
}

const CONSUMER = `import assert from "node:assert/strict";
import {
  type CodexConfigObject,
  CodexProvider,
  CodexProviderError,
  type ProviderEvent,
  type ToolResultEvent,
} from "@alphred/agents";
import { createMapperState } from "@alphred/agents/testing";
import { byMarker, createHermeticRun, customProviderConfig, startEmulator, type Turn } from "@alphred/codex-emulator";

const ok: Turn = {
  steps: [
    { items: [{ type: "exec", cmd: "echo consumer-check" }] },
    { items: [{ type: "message", text: "consumer check done" }] },
  ],
};
const denied: Turn = { steps: [{ fault: "http", status: 401 }] };

async function main(): Promise<void> {
  const emulator = await startEmulator({ script: byMarker({ "[ok]": ok, "[denied]": denied }) });
  const run = await createHermeticRun({ baseUrl: emulator.baseUrl });
  try {
    const provider = new CodexProvider({
      env: run.env,
      config: customProviderConfig(emulator.baseUrl) as CodexConfigObject,
    });
    const options = { workingDirectory: run.workingDirectory, timeout: 120_000 };
    const events: ProviderEvent[] = [];
    for await (const event of provider.run("[ok] run one command", options)) events.push(event);
    const last = events.at(-1);
    assert.equal(last?.type, "result");
    assert.equal(last?.content, "consumer check done");
    const tool = events.find((event): event is ToolResultEvent => event.type === "tool_result");
    const command = tool?.metadata;
    assert.ok(command?.itemType === "command_execution", "a command_execution tool_result");
    assert.equal(command.exitCode, 0);
    assert.match(command.output, /consumer-check/);

    let failure: unknown;
    try {
      for await (const _event of provider.run("[denied] fail", options)) {
        // drained: the turn must fail
      }
    } catch (error) {
      failure = error;
    }
    assert.ok(CodexProviderError.isInstance(failure), "a CodexProviderError");
    assert.equal(failure.code, "CODEX_AUTH_ERROR");
    assert.equal(createMapperState().index, 0);
    console.log(JSON.stringify({ consumer: process.argv[2], events: events.map((event) => event.type), error: failure.code }));
  } finally {
    await run.cleanup();
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** In CommonJS: \`require()\` of both ESM packages (Node's require(esm)) yields the same module as \`import()\`. */
const CJS_EXTRA = `
import * as viaImport from "@alphred/agents";

const viaRequire: typeof viaImport = require("@alphred/agents");
assert.equal(viaRequire.CodexProvider, viaImport.CodexProvider);
assert.equal(typeof require("@alphred/codex-emulator").startEmulator, "function");
`;

function writeConsumer(dir, kind, tarballs) {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify(
      {
        name: `alphred-consumer-${kind}`,
        private: true,
        type: kind === "esm" ? "module" : "commonjs",
        dependencies: {
          "@alphred/agents": `file:${tarballs.agents}`,
          "@alphred/codex-emulator": `file:${tarballs["codex-emulator"]}`,
        },
        devDependencies: {
          "@types/node": rootManifest.devDependencies["@types/node"],
          typescript: rootManifest.devDependencies.typescript,
        },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2023",
          lib: ["es2023"],
          types: ["node"],
          skipLibCheck: false,
          rootDir: "src",
          outDir: "dist",
        },
        include: ["src"],
      },
      null,
      2,
    )}\n`,
  );
  const source = kind === "cjs" ? CONSUMER.replace("\nconst ok:", `${CJS_EXTRA}\nconst ok:`) : CONSUMER;
  writeFileSync(path.join(dir, "src", "main.ts"), source);
}

try {
  const tarballDir = path.join(work, "tarballs");
  const tarballs = {};
  await step("pack (prepack builds each package)", () => {
    for (const name of PACKAGES) {
      const before = new Set(existsSync(tarballDir) ? readdirSync(tarballDir) : []);
      run("pnpm", ["pack", "--pack-destination", tarballDir], path.join(ROOT, "packages", name));
      const created = readdirSync(tarballDir).filter((file) => file.endsWith(".tgz") && !before.has(file));
      check(created.length === 1, `pnpm pack of ${name} produced ${created.length} tarballs`);
      tarballs[name] = path.join(tarballDir, created[0]);
    }
  });

  await step("inspect tarballs", () => {
    const problems = [];
    for (const name of PACKAGES) {
      const dir = path.join(work, "unpacked", name);
      mkdirSync(dir, { recursive: true });
      run("tar", ["-xzf", tarballs[name], "-C", dir, "--strip-components=1"], work);
      problems.push(...inspectTarball(name, dir));
    }
    check(problems.length === 0, `tarball problems:\n  ${problems.join("\n  ")}`);
  });

  await step("publint --strict", () => {
    for (const name of PACKAGES) {
      run("pnpm", ["exec", "publint", "run", "--strict", tarballs[name]], ROOT, { inherit: true });
    }
  });

  // require() is supported through Node's require(esm) (Node >= 22.12; the floor is 22.15). attw bundles
  // TypeScript 5.6, which predates TypeScript 5.8's support for it and reports every CommonJS resolution as
  // "ESM (dynamic import only)"; the CommonJS scratch project below proves the real behaviour instead.
  await step("attw --profile node16", () => {
    for (const name of PACKAGES) {
      run(
        "pnpm",
        ["exec", "attw", tarballs[name], "--profile", "node16", "--ignore-rules", "cjs-resolves-to-esm"],
        ROOT,
        { inherit: true },
      );
    }
  });

  for (const kind of ["esm", "cjs"]) {
    const dir = path.join(work, kind);
    writeConsumer(dir, kind, tarballs);
    await step(`${kind}: install tarballs`, () => {
      run("pnpm", ["install", "--prefer-offline", "--ignore-workspace"], dir);
    });
    await step(`${kind}: strict tsc (module nodenext, skipLibCheck false)`, () => {
      run(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], dir);
    });
    await step(`${kind}: real turn against the emulator`, () => {
      const { stdout, stderr } = run(process.execPath, ["dist/main.js", kind], dir, { timeout: 240_000 });
      const summary = JSON.parse(stdout.trim().split("\n").at(-1));
      check(summary.consumer === kind && summary.events.at(-1) === "result", `unexpected output ${stdout}`);
      check(!/Warning/.test(stderr), `the consumer printed warnings:\n${stderr}`);
      console.log(`  ${stdout.trim()}`);
    });
  }

  const total = Math.round(performance.now() - started);
  for (const [name, ms] of timings) console.log(`${String(ms).padStart(7)} ms  ${name}`);
  console.log(`${String(total).padStart(7)} ms  total`);
  console.log(JSON.stringify({ consumerCheck: { ok: true, totalMs: total } }));
} finally {
  if (keep) console.log(`consumer-check: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
