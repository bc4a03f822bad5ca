import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Codex } from "@openai/codex-sdk";
import type { CodexConfigObject } from "./codexOptions.js";

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
}

/** The turn input: text (and image) parts, in order (the SDK's `Input`). */
export type CodexTurnInput =
  | string
  | ({ type: "text"; text: string } | { type: "local_image"; path: string })[];

/** Per-turn options the provider sets (a slice of the SDK's `TurnOptions`). */
export interface CodexTurnOptions {
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
}

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
export function readCodexVersion(codexPath: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(codexPath, ["--version"], {
      env,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: LOGIN_STATUS_TIMEOUT_MS,
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.once("error", reject);
    child.once("close", (exitCode, signal) => {
      if (exitCode === 0) resolve(stdout.trim());
      else reject(new Error(`codex --version exited with ${exitCode ?? signal}`));
    });
  });
}
