import { execFile } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Options of {@link createHermeticRun}. */
export interface HermeticRunOptions {
  /** Emulator base URL (`Emulator.baseUrl`); exported as `OPENAI_BASE_URL`. */
  baseUrl: string;
  /** API key exported as `CODEX_API_KEY`. Default `sk-emulator-test-key-0000000000`. */
  apiKey?: string;
  /** Model exported as `CODEX_MODEL`; must be in the binary's catalog. Default `gpt-5.5`. */
  model?: string;
  /** Extra variables, applied last. */
  env?: Record<string, string>;
}

/** Throwaway directories and environment for one codex run that touches nothing of the user's. */
export interface HermeticRun {
  /** `CODEX_HOME` (sessions, auth) for this run, holding only {@link NO_BACKGROUND_EGRESS_TOML} as `config.toml`. */
  codexHome: string;
  /** Empty working directory, `git init`-ed (no commit) when git is available. */
  workingDirectory: string;
  /** Complete child environment: PATH, HOME, CODEX_HOME, CODEX_API_KEY, OPENAI_BASE_URL, CODEX_MODEL (+ `env`). */
  env: Record<string, string>;
  /** Removes every directory of the run. Idempotent. */
  cleanup(): Promise<void>;
}

/** Default API key of hermetic runs; the emulator accepts any key. */
export const DEFAULT_API_KEY = "sk-emulator-test-key-0000000000";
/** Default model of hermetic runs; present in the bundled catalog of codex 0.163. */
export const DEFAULT_MODEL = "gpt-5.5";

/**
 * `config.toml` of every hermetic run: turns off the two codex 0.163 features that reach the internet on their own,
 * whatever the provider — `plugins` (plugin catalog and curated-plugin sync: `chatgpt.com`, `api.github.com`,
 * `git ls-remote https://github.com/openai/plugins.git`) and `analytics` (metrics to `ab.chatgpt.com`). Measured
 * with strace in an empty network namespace: with these two, a message turn and a tool turn in `codex exec` and
 * `codex app-server` make no connect()/sendto() to any non-loopback address. Neither changes what reaches the model
 * in a hermetic run (the emulator's account has no plugins).
 */
export const NO_BACKGROUND_EGRESS_TOML = "[features]\nplugins = false\n\n[analytics]\nenabled = false\n";

/**
 * Creates a fresh temp root holding `home/`, `codex-home/` and `work/`, and the environment pointing codex at
 * them and at the emulator. `PATH` is the caller's `env.PATH` (so the sandboxed commands find their tools).
 */
export async function createHermeticRun(
  options: HermeticRunOptions,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<HermeticRun> {
  // realpath: codex reports canonical paths, and macOS's tmpdir is a symlink.
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), "codex-emulator-run-")));
  const home = path.join(root, "home");
  const codexHome = path.join(root, "codex-home");
  const workingDirectory = path.join(root, "work");
  try {
    await Promise.all([mkdir(home), mkdir(codexHome), mkdir(workingDirectory)]);
    await writeFile(path.join(codexHome, "config.toml"), NO_BACKGROUND_EGRESS_TOML);
    await gitInit(workingDirectory, processEnv);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const env: Record<string, string> = {
    PATH: processEnv.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    CODEX_HOME: codexHome,
    CODEX_API_KEY: options.apiKey ?? DEFAULT_API_KEY,
    OPENAI_BASE_URL: options.baseUrl,
    CODEX_MODEL: options.model ?? DEFAULT_MODEL,
    ...options.env,
  };
  return {
    codexHome,
    workingDirectory,
    env,
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

function gitInit(directory: string, processEnv: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("git", ["init", "--quiet", directory], { env: { PATH: processEnv.PATH ?? "" } }, (error) => {
      // Without git the directory stays a plain one; runs then need skipGitRepoCheck, as they usually set anyway.
      if (error && (error as NodeJS.ErrnoException).code !== "ENOENT") reject(error);
      else resolve();
    });
  });
}
