import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Codex,
  type CodexOptions,
  type Input,
  type ThreadEvent,
  type ThreadOptions,
  type TurnOptions,
} from "@openai/codex-sdk";

/** The one module that touches processes, the file system and `@openai/codex-sdk`. */

/** What `codex login status` printed and how it exited. */
export interface LoginStatusOutput {
  /** Exit code; `null` when killed by a signal. */
  exitCode: number | null;
  /** Terminating signal, if any. */
  signal: string | null;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr (codex prints its status there). */
  stderr: string;
}

/** A started turn: the SDK's stream of thread events. */
export interface CodexTurnStream {
  /** Raw thread events, in order. */
  events: AsyncGenerator<ThreadEvent>;
}

/** The slice of an SDK thread the provider uses. */
export interface CodexThreadLike {
  /** Starts a turn and streams its events. */
  runStreamed(input: Input, turnOptions?: TurnOptions): Promise<CodexTurnStream>;
}

/** The slice of the SDK client the provider uses. */
export interface CodexClientLike {
  /** Starts a new thread. */
  startThread(options?: ThreadOptions): CodexThreadLike;
}

/** Creates an SDK client; the seam tests replace with a typed fake. */
export type CodexClientFactory = (options: CodexOptions) => CodexClientLike;

/** Process and file-system access used by the bootstrap and the provider. */
export interface CodexIo {
  /** Resolves a package file like `require.resolve`, optionally from another package's location. */
  resolvePackage(specifier: string, fromFile?: string): string;
  /** True when the path is an existing regular file. */
  isFile(filePath: string): boolean;
  /** True when the path is an existing directory. */
  isDirectory(filePath: string): boolean;
  /** The user's home directory. */
  homedir(): string;
  /** Runs `<codex> login status` without blocking the event loop. */
  runLoginStatus(codexPath: string, env: Record<string, string>): Promise<LoginStatusOutput>;
}

const LOGIN_STATUS_TIMEOUT_MS = 15_000;
const moduleRequire = createRequire(import.meta.url);

function statKind(filePath: string): "file" | "directory" | undefined {
  try {
    const stat = statSync(filePath);
    return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : undefined;
  } catch {
    return undefined;
  }
}

/** The real IO. */
export const realCodexIo: CodexIo = {
  resolvePackage: (specifier, fromFile) =>
    (fromFile ? createRequire(fromFile) : moduleRequire).resolve(specifier),
  isFile: (filePath) => statKind(filePath) === "file",
  isDirectory: (filePath) => statKind(filePath) === "directory",
  homedir: () => os.homedir(),
  runLoginStatus: (codexPath, env) =>
    new Promise((resolve, reject) => {
      const child = spawn(codexPath, ["login", "status"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
        timeout: LOGIN_STATUS_TIMEOUT_MS,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.once("error", reject);
      child.once("close", (exitCode, signal) =>
        resolve({
          exitCode,
          signal,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
        }),
      );
    }),
};

/** Creates the real SDK client (which spawns `codex exec --experimental-json` per turn). */
export const createSdkClient: CodexClientFactory = (options) => new Codex(options);

// --- Diagnostics (`diagnoseCodex`): running codex subcommands and reading installed versions. ---

/** What a codex subcommand printed and how it exited. */
export type CodexCommandOutput = LoginStatusOutput;

const COMMAND_TIMEOUT_MS = 15_000;
const OUTPUT_CAP_BYTES = 8 * 1024 * 1024;

/** Runs `<codex> ...args` with `env` (and `stdin` when given), without a shell; rejects only when it cannot start. */
export function runCodexCommand(
  codexPath: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CodexCommandOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(codexPath, args, {
      env,
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: COMMAND_TIMEOUT_MS,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= OUTPUT_CAP_BYTES) into.push(chunk);
    };
    child.stdout?.on("data", keep(stdout));
    child.stderr?.on("data", keep(stderr));
    child.once("error", reject);
    child.once("close", (exitCode, signal) =>
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Version of an installed package whose `exports` may hide `package.json`; `undefined` when not found. */
export function readPackageVersion(name: string): string | undefined {
  try {
    let dir = path.dirname(fileURLToPath(import.meta.resolve(name)));
    for (let depth = 0; depth < 6; depth++) {
      const file = path.join(dir, "package.json");
      if (statKind(file) === "file") {
        const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
        if (manifest.name === name && typeof manifest.version === "string") return manifest.version;
      }
      dir = path.dirname(dir);
    }
  } catch {
    // Not installed or not resolvable from here.
  }
  return undefined;
}
