import { spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Codex,
  type CodexOptions,
  type Input,
  type ThreadOptions,
  type TurnOptions,
} from "@openai/codex-sdk";
import type { CodexConfigObject } from "./codexOptions.js";
import type { Exact } from "./exactType.js";

/**
 * The one module that touches processes, the file system and `@openai/codex-sdk`.
 *
 * The seam types below are structural slices of the SDK's own types, declared here so the package's public
 * declarations never import `@openai/codex-sdk` (whose `.d.ts` needs `@modelcontextprotocol/sdk`, a package it does
 * not depend on). `createSdkClient` and `CodexProvider` assign the SDK's types to them and back, so a drifting SDK
 * fails to compile here.
 */

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

/** The SDK client options the provider sets (a slice of the SDK's `CodexOptions`). */
export interface CodexClientOptions {
  /** Path of the `codex` binary to spawn. */
  codexPathOverride?: string;
  /** Responses API base URL. */
  baseUrl?: string;
  /** API key, exported to the child as `CODEX_API_KEY`. */
  apiKey?: string;
  /** Codex CLI `--config` overrides. */
  config?: CodexConfigObject;
  /** The child's whole environment. */
  env?: Record<string, string>;
}

/** The thread settings the provider sets (a slice of the SDK's `ThreadOptions`). */
export interface CodexThreadOptions {
  /** Model name. */
  model?: string;
  /** The agent's working directory. */
  workingDirectory?: string;
  /** Sandbox of the agent's commands. */
  sandboxMode?: "read-only" | "workspace-write" | "danger-full-access";
  /** When the agent asks for approval. */
  approvalPolicy?: "never" | "on-request" | "on-failure" | "untrusted";
  /** Skip codex's trusted-git-repo check. */
  skipGitRepoCheck?: boolean;
  /** Reasoning effort passed to the model. */
  modelReasoningEffort?: "minimal" | "low" | "medium" | "high" | "xhigh" | "max" | "ultra" | "persistent";
  /** Whether the agent's sandboxed commands may use the network (`workspace-write` only). */
  networkAccessEnabled?: boolean;
  /** Whether and how the agent may search the web. */
  webSearchMode?: "disabled" | "cached" | "live";
  /** Directories the agent may write besides `workingDirectory`. */
  additionalDirectories?: string[];
}

/** The turn input: text (and image) parts, in order (the SDK's `Input`). */
export type CodexTurnInput =
  | string
  | ({ type: "text"; text: string } | { type: "local_image"; path: string })[];

/** Per-turn options the provider sets (a slice of the SDK's `TurnOptions`). */
export interface CodexTurnOptions {
  /** JSON schema the agent's final message must follow (strict-mode compatible). */
  outputSchema?: unknown;
  /** Aborting it kills the codex process. */
  signal?: AbortSignal;
  /**
   * The run's redactor, for what a client hands the caller outside the event stream (the app-server's approval
   * requests to `onApproval`); the SDK client ignores it.
   */
  redact?: <T>(value: T) => T;
}

/** A started turn: the SDK's stream of thread events, validated by the provider as they arrive. */
export interface CodexTurnStream {
  /** Raw thread events, in order. */
  events: AsyncGenerator<unknown>;
}

/** The slice of an SDK thread the provider uses. */
export interface CodexThreadLike {
  /** Starts a turn and streams its events. */
  runStreamed(input: CodexTurnInput, turnOptions?: CodexTurnOptions): Promise<CodexTurnStream>;
}

/** The slice of the SDK client the provider uses. */
export interface CodexClientLike {
  /** Starts a new thread. */
  startThread(options?: CodexThreadOptions): CodexThreadLike;
  /** Continues a thread stored in `CODEX_HOME` (`codex exec resume <id>`). */
  resumeThread(id: string, options?: CodexThreadOptions): CodexThreadLike;
}

// Each seam type must equal the SDK's type restricted to the same fields, both ways: an SDK bump that renames a
// field, or adds or drops an enum value, fails to compile here (the declarations themselves stay SDK-free).
type Slice<Ours, Sdk> = keyof Ours extends keyof Sdk ? Exact<Ours, Pick<Sdk, keyof Ours & keyof Sdk>> : false;
true satisfies Slice<CodexClientOptions, CodexOptions>;
true satisfies Slice<CodexThreadOptions, ThreadOptions>;
// `redact` is ours (the app-server client's side channel); the SDK client ignores it.
true satisfies Slice<Omit<CodexTurnOptions, "redact">, TurnOptions>;
true satisfies Exact<CodexTurnInput, Input>;

/** Creates an SDK client; the seam tests replace with a typed fake. */
export type CodexClientFactory = (options: CodexClientOptions) => CodexClientLike;

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
  runLoginStatus: (codexPath, env) => runCodexCommand(codexPath, ["login", "status"], env),
};

/** Creates the real SDK client (which spawns `codex exec --experimental-json` per turn). */
export const createSdkClient: CodexClientFactory = (options) => new Codex(options);

/**
 * Why `filePath` cannot be read as a file (`"does not exist"`, `"is not a file"`, `"is not readable (EACCES)"`), or
 * `undefined` when it can: opens it and reads one byte, so permissions are checked as this process has them.
 */
export function probeReadableFile(filePath: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(filePath, "r");
    if (!fstatSync(fd).isFile()) return "is not a file";
    readSync(fd, Buffer.alloc(1), 0, 1, 0);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "does not exist";
    if (code === "EISDIR") return "is not a file";
    return `is not readable (${code ?? "unknown error"})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The text of a thread's rollout file, `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<threadId>.jsonl` (where
 * codex stores a thread it can resume), or `undefined` when no such file exists.
 */
export async function readThreadRollout(codexHome: string, threadId: string): Promise<string | undefined> {
  const suffix = `-${threadId}.jsonl`;
  const list = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir)).sort().reverse();
    } catch {
      return [];
    }
  };
  const root = path.join(codexHome, "sessions");
  // Newest day first: a thread resumed today was most likely written recently.
  for (const year of await list(root)) {
    for (const month of await list(path.join(root, year))) {
      for (const day of await list(path.join(root, year, month))) {
        const dir = path.join(root, year, month, day);
        const file = (await list(dir)).find((name) => name.startsWith("rollout-") && name.endsWith(suffix));
        if (file !== undefined) return readFile(path.join(dir, file), "utf8");
      }
    }
  }
  return undefined;
}

/** The parsed `CODEX_HOME/auth.json` (stored `codex login` credentials); `undefined` if absent or not JSON. */
export async function readAuthJson(codexHome: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(codexHome, "auth.json"), "utf8"));
  } catch {
    return undefined;
  }
}

// --- codex app-server (issue 11 groundwork): one long-lived child speaking line-delimited JSON on stdio. ---

/** How an app-server process ended. */
export interface AppServerExit {
  /** Exit code; `null` when killed by a signal or never started. */
  exitCode: number | null;
  /** Terminating signal, if any. */
  signal: string | null;
  /** Why it could not start (spawn error message), if it never ran. */
  spawnError?: string;
}

/** Where and how to start `codex app-server`. The API key travels in `env`, never on argv. */
export interface AppServerSpawnOptions {
  /** The complete child environment (the bootstrap's `childEnv`). */
  env: Record<string, string>;
  /** Working directory of the process. */
  cwd?: string;
  /** How many characters of stderr to keep. Default 8000. */
  stderrTailChars?: number;
  /** Extra flags after `app-server`, e.g. `["--disable", "plugins"]`; never secrets (argv is visible to all). */
  args?: readonly string[];
}

/** A running `codex app-server`: the transport seam of the JSON-RPC client plus process control. */
export interface AppServerProcess {
  /** Process id (`undefined` if the spawn failed). */
  readonly pid: number | undefined;
  /** Writes one line (a `\n` is appended); ignored once stdin is closed. */
  writeLine(line: string): void;
  /** Subscribes to stdout lines (without the newline); lines that arrived before the first listener are replayed. */
  onLine(listener: (line: string) => void): void;
  /** Subscribes to the end of the process; called once, also for a late subscriber. */
  onClose(listener: (exit: AppServerExit) => void): void;
  /** The last characters of stderr (raw: redact before showing). */
  stderrTail(): string;
  /** Settles when the process has exited and its stdio closed; never rejects. */
  readonly exited: Promise<AppServerExit>;
  /** Closes stdin: the app-server exits on its own (~35 ms). */
  endInput(): void;
  /** Sends a signal (default SIGTERM); no-op once exited. */
  kill(signal?: NodeJS.Signals): void;
  /** `false`: the process and its pipes no longer keep Node's event loop alive (an idle process); `true` undoes it. */
  keepAlive(on: boolean): void;
}

/** Spawns `<codex> app-server` on stdio. */
export function spawnAppServer(codexPath: string, options: AppServerSpawnOptions): AppServerProcess {
  const tailChars = options.stderrTailChars ?? 8000;
  const child = spawn(codexPath, ["app-server", ...(options.args ?? [])], {
    env: options.env,
    cwd: options.cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: ((exit: AppServerExit) => void)[] = [];
  const early: string[] = [];
  let stderr = "";
  let partial = "";
  let ended: AppServerExit | undefined;
  let resolveExited: (exit: AppServerExit) => void = () => {};
  const exited = new Promise<AppServerExit>((resolve) => {
    resolveExited = resolve;
  });
  const emit = (line: string) => {
    if (lineListeners.length === 0) early.push(line);
    for (const listener of lineListeners) listener(line);
  };
  const finish = (exit: AppServerExit) => {
    if (ended) return;
    if (partial.length > 0) emit(partial);
    partial = "";
    ended = exit;
    resolveExited(exit);
    for (const listener of closeListeners.splice(0)) listener(exit);
  };
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() as string;
    for (const line of lines) emit(line.endsWith("\r") ? line.slice(0, -1) : line);
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-tailChars);
  });
  // A write racing the exit fails with EPIPE: the close listener reports the end, not a crash.
  child.stdin.on("error", () => {});
  child.once("error", (error) => finish({ exitCode: null, signal: null, spawnError: error.message }));
  child.once("close", (exitCode, signal) => finish({ exitCode, signal }));
  return {
    pid: child.pid,
    writeLine: (line) => {
      if (!ended && child.stdin.writable) child.stdin.write(`${line}\n`);
    },
    onLine: (listener) => {
      lineListeners.push(listener);
      for (const line of early.splice(0)) listener(line);
    },
    onClose: (listener) => {
      if (ended) listener(ended);
      else closeListeners.push(listener);
    },
    stderrTail: () => stderr,
    exited,
    endInput: () => child.stdin.end(),
    kill: (signal = "SIGTERM") => {
      if (!ended) child.kill(signal);
    },
    keepAlive: (on) => {
      for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as {
        ref?(): void;
        unref?(): void;
      }[]) {
        if (on) handle.ref?.();
        else handle.unref?.();
      }
    },
  };
}

/** Runs `<codex> --version` (e.g. `codex-cli 0.163.0`) and returns its trimmed stdout. */
export async function readCodexVersion(codexPath: string, env: Record<string, string>): Promise<string> {
  const { exitCode, signal, stdout } = await runCodexCommand(codexPath, ["--version"], env);
  if (exitCode === 0) return stdout.trim();
  throw new Error(`codex --version exited with ${exitCode ?? signal}`);
}

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
