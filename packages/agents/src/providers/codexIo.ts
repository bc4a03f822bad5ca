import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
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
