import path from "node:path";
import { z } from "zod";
import { type CodexBinary, resolveCodexBinary } from "./codexBinary.js";
import { CodexProviderError } from "./codexError.js";
import { type CodexIo, type LoginStatusOutput, realCodexIo } from "./codexIo.js";
import { DEFAULT_CODEX_MODEL } from "./codexOptions.js";

/** Environment variables the bootstrap reads. */
export type CodexEnv = Readonly<Record<string, string | undefined>>;

/** A bootstrap failure: missing or unusable auth, bad env config, or no usable Codex binary. */
function bootstrapError(
  code: "CODEX_AUTH_ERROR" | "CODEX_INVALID_CONFIG",
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): CodexProviderError {
  return new CodexProviderError({ code, message, details, ...(cause === undefined ? {} : { cause }) });
}

/** How the run authenticates. */
export type CodexAuthMode = "api_key" | "cli_login";

/** Everything a run needs to start Codex, resolved from the environment. */
export interface CodexBootstrap {
  /** `api_key` when a key env var is set, else `cli_login` (a stored `codex login` session). */
  authMode: CodexAuthMode;
  /** The API key to pass to Codex (api_key mode only). */
  apiKey?: string;
  /** The env var the key came from. */
  apiKeySource?: "CODEX_API_KEY" | "OPENAI_API_KEY";
  /** Model slug: `CODEX_MODEL` or the default. */
  model: string;
  /** Endpoint override from `OPENAI_BASE_URL`. */
  baseUrl?: string;
  /** Codex auth/config directory. */
  codexHome: string;
  /** Absolute path of the bundled `codex` binary. */
  codexPath: string;
  /** The environment for the codex child process. */
  childEnv: Record<string, string>;
}

/** Settings read from the environment, validated. */
const envSchema = z.object({
  CODEX_MODEL: z.string().trim().min(1, "CODEX_MODEL must not be blank").optional(),
  OPENAI_BASE_URL: z
    .url({ protocol: /^https?$/, error: "OPENAI_BASE_URL must be a valid http(s) URL" })
    .optional(),
  CODEX_HOME: z.string().trim().min(1, "CODEX_HOME must not be blank").optional(),
});

/** Reads the API key by precedence: `CODEX_API_KEY`, then `OPENAI_API_KEY`. Set-but-blank is an error. */
function resolveApiKey(env: CodexEnv): Pick<CodexBootstrap, "apiKey" | "apiKeySource"> {
  for (const name of ["CODEX_API_KEY", "OPENAI_API_KEY"] as const) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.trim().length === 0) {
      throw bootstrapError(
        "CODEX_INVALID_CONFIG",
        `${name} is set but empty; set it to an API key or unset it to use the Codex CLI login (codex login).`,
        { envVar: name },
      );
    }
    return { apiKey: value.trim(), apiKeySource: name };
  }
  return {};
}

/** Interprets `codex login status`: exit 0 logged in, "Not logged in" auth error, anything else config error. */
export function interpretLoginStatus(output: LoginStatusOutput, codexHome: string): void {
  if (output.exitCode === 0) return;
  const text = `${output.stderr}\n${output.stdout}`.trim().slice(-2000);
  if (/not logged in/i.test(text)) {
    throw bootstrapError(
      "CODEX_AUTH_ERROR",
      `No Codex credentials: set CODEX_API_KEY or OPENAI_API_KEY, or run \`codex login\` (CODEX_HOME=${codexHome}).`,
      { codexHome, exitCode: output.exitCode, stderr: text },
    );
  }
  throw bootstrapError(
    "CODEX_INVALID_CONFIG",
    `\`codex login status\` failed (exit ${output.exitCode ?? "none"}${output.signal ? `, ${output.signal}` : ""}); check CODEX_HOME=${codexHome} and the Codex install.`,
    { codexHome, exitCode: output.exitCode, signal: output.signal, stderr: text },
  );
}

/**
 * The environment the codex child gets: the caller's env, bundled tools first on PATH, and `CODEX_HOME` only
 * when the caller set it (codex refuses an explicit `CODEX_HOME` that does not exist, but creates its default).
 */
function buildChildEnv(
  env: CodexEnv,
  explicitHome: string | undefined,
  pathDirs: string[],
  platform: string,
): Record<string, string> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) childEnv[key] = value;
  }
  if (explicitHome !== undefined) childEnv.CODEX_HOME = explicitHome;
  const pathKey =
    platform === "win32"
      ? (Object.keys(childEnv).find((key) => key.toUpperCase() === "PATH") ?? "Path")
      : "PATH";
  const delimiter = platform === "win32" ? ";" : ":";
  const rest = (childEnv[pathKey] ?? "")
    .split(delimiter)
    .filter((entry) => entry && !pathDirs.includes(entry));
  childEnv[pathKey] = [...pathDirs, ...rest].join(delimiter);
  return childEnv;
}

/** What the bootstrap reads from the outside world; every field is injectable for tests. */
export interface BootstrapDependencies {
  /** Process IO: package resolution, file probes, the login-status check. */
  io: CodexIo;
  /** `process.platform`. */
  platform: string;
  /** `process.arch`. */
  arch: string;
  /** The user's home directory, for the `CODEX_HOME` default. */
  homedir: () => string;
}

/** Resolves auth, config and the binary for a run. */
export type CodexBootstrapper = (env: CodexEnv) => Promise<CodexBootstrap>;

/**
 * Creates a bootstrapper. The bundled binary is located once; successful login checks are cached per binary and `CODEX_HOME`
 * (failures are not, so a later `codex login` is seen); concurrent checks share one child.
 */
export function createCodexBootstrap(dependencies: Partial<BootstrapDependencies> = {}): CodexBootstrapper {
  const deps: BootstrapDependencies = {
    io: realCodexIo,
    platform: process.platform,
    arch: process.arch,
    homedir: realCodexIo.homedir,
    ...dependencies,
  };
  const loginChecks = new Map<string, Promise<void>>();
  // The install does not change under a running process: probe the file system once (failures are not kept).
  let binary: CodexBinary | undefined;

  const checkLogin = (
    codexPath: string,
    codexHome: string,
    childEnv: Record<string, string>,
  ): Promise<void> => {
    const key = `${codexPath}\u0000${codexHome}`;
    let check = loginChecks.get(key);
    if (!check) {
      check = deps.io.runLoginStatus(codexPath, childEnv).then(
        (output) => interpretLoginStatus(output, codexHome),
        (cause: unknown) => {
          throw bootstrapError(
            "CODEX_INVALID_CONFIG",
            `Could not run \`codex login status\` with ${codexPath}; reinstall dependencies (@openai/codex).`,
            { codexPath },
            cause,
          );
        },
      );
      loginChecks.set(key, check);
      check.catch(() => loginChecks.delete(key));
    }
    return check;
  };

  return async (env) => {
    const parsed = envSchema.safeParse({
      CODEX_MODEL: env.CODEX_MODEL,
      OPENAI_BASE_URL: env.OPENAI_BASE_URL,
      CODEX_HOME: env.CODEX_HOME,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const envVar = String(issue?.path[0] ?? "environment");
      throw bootstrapError("CODEX_INVALID_CONFIG", `Invalid ${envVar}: ${issue?.message}`, {
        envVar,
      });
    }
    const auth = resolveApiKey(env);
    const explicitHome = parsed.data.CODEX_HOME;
    if (explicitHome !== undefined && !deps.io.isDirectory(explicitHome)) {
      throw bootstrapError(
        "CODEX_INVALID_CONFIG",
        `CODEX_HOME=${explicitHome} is not an existing directory; create it or unset CODEX_HOME to use $HOME/.codex.`,
        { envVar: "CODEX_HOME", codexHome: explicitHome },
      );
    }
    const codexHome = explicitHome ?? path.join(env.HOME?.trim() || deps.homedir(), ".codex");
    binary ??= resolveCodexBinary(deps.io, deps.platform, deps.arch);
    const childEnv = buildChildEnv(env, explicitHome, binary.pathDirs, deps.platform);
    if (!auth.apiKey) await checkLogin(binary.executablePath, codexHome, childEnv);
    return {
      authMode: auth.apiKey ? "api_key" : "cli_login",
      ...auth,
      model: parsed.data.CODEX_MODEL ?? DEFAULT_CODEX_MODEL,
      ...(parsed.data.OPENAI_BASE_URL ? { baseUrl: parsed.data.OPENAI_BASE_URL } : {}),
      codexHome,
      codexPath: binary.executablePath,
      childEnv,
    };
  };
}

/** The process-wide bootstrapper used by default. */
export const bootstrapCodex: CodexBootstrapper = createCodexBootstrap();
