import { MIN_SECRET_LENGTH } from "./codexRedaction.js";

/**
 * Where the secrets of a run come from, as pure functions over plain data: the environment, the `config`
 * overrides and (CLI-login mode) the parsed `CODEX_HOME/auth.json`. Reading that file is `codexIo.ts`'s job.
 */

/** Environment variables, as the provider reads them. */
export type SecretEnv = Readonly<Record<string, string | undefined>>;

/** Everything a run may know that holds a secret. */
export interface SecretSources {
  /** The environment given to the provider (and the codex child). */
  env: SecretEnv;
  /** The provider's `config` overrides. */
  config?: unknown;
  /** The key the bootstrap resolved (api_key mode). */
  apiKey?: string | undefined;
  /** Parsed `CODEX_HOME/auth.json` (CLI-login mode); anything else is ignored. */
  authJson?: unknown;
}

/** The env vars that hold the built-in provider's API key. */
export const API_KEY_ENV_VARS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;

/** Config keys naming a credential whose string value is the secret itself. */
const CREDENTIAL_KEY = /token|key|secret|passw(?:or)?d|credential/i;
/** Config keys whose value is the NAME of an env var holding a secret (`env_key`, `bearer_token_env_var`). */
const ENV_NAME_KEY = /(?:^|_)env_(?:key|var)$/i;
/** Config keys that contain "key"/"token" but hold prose for humans (`env_key_instructions`). */
const PROSE_KEY = /instructions$/i;
/** Tables whose values are secrets (header values) or env var names of secrets (`env_http_headers`). */
const HEADER_TABLE = "http_headers";
const ENV_HEADER_TABLE = "env_http_headers";
/** A plausible environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `scheme://user:password@`. */
const USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/([^\s/?#@:]*):([^\s/?#@]*)@/gi;
/** auth.json leaves that are credentials whatever their key: OpenAI keys and JWTs. */
const TOKEN_SHAPED = /^(?:sk-|eyJ)[A-Za-z0-9._-]+$/;

type Visit = (path: readonly string[], value: string) => void;

/** Calls `visit` for every string leaf with the chain of keys leading to it (array indexes omitted). */
function walkStrings(value: unknown, visit: Visit, path: string[] = [], seen = new Set<object>()): void {
  if (typeof value === "string") {
    visit(path, value);
    return;
  }
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const entry of value) walkStrings(entry, visit, path, seen);
    return;
  }
  for (const [key, entry] of Object.entries(value)) walkStrings(entry, visit, [...path, key], seen);
}

/** The password and the whole `user:password` of every URL with userinfo in the text (raw and decoded). */
function userinfoSecrets(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(USERINFO)) {
    const [, user = "", password = ""] = match;
    for (const value of [password, `${user}:${password}`]) {
      found.push(value);
      try {
        found.push(decodeURIComponent(value));
      } catch {
        // Not valid percent-encoding: the raw form is all there is.
      }
    }
  }
  return found;
}

/** Env var names a config names as holding secrets: `env_key`, `*_env_var`, and `env_http_headers` values. */
function secretEnvNames(config: unknown): string[] {
  const names: string[] = [];
  walkStrings(config, (path, value) => {
    const key = path.at(-1) ?? "";
    if ((ENV_NAME_KEY.test(key) || path.at(-2) === ENV_HEADER_TABLE) && ENV_NAME.test(value)) {
      names.push(value);
    }
  });
  return names;
}

/**
 * Every secret a run can know of, deduplicated; values shorter than `MIN_SECRET_LENGTH` are dropped. Sources:
 * `CODEX_API_KEY`, `OPENAI_API_KEY`, the resolved key; in `config` every string under a key naming a credential
 * (`*token*`, `*key*`, `*secret*`, `*password*`, `*credential*` — but not `env_key`/`*_env_var`, which hold a var
 * NAME, whose value is taken instead), `http_headers` values and the env values `env_http_headers` names; the
 * userinfo of `OPENAI_BASE_URL` and of any URL in `config`; and the credentials in `auth.json`.
 */
export function collectSecrets(sources: SecretSources): string[] {
  const { env, config, apiKey, authJson } = sources;
  const found: (string | undefined)[] = [apiKey];
  for (const name of [...API_KEY_ENV_VARS, ...secretEnvNames(config)]) found.push(env[name]);
  found.push(...userinfoSecrets(env.OPENAI_BASE_URL ?? ""));
  walkStrings(config, (path, value) => {
    const key = path.at(-1) ?? "";
    found.push(...userinfoSecrets(value));
    if (path.at(-2) === HEADER_TABLE) found.push(value);
    else if (path.at(-2) === ENV_HEADER_TABLE || ENV_NAME_KEY.test(key) || PROSE_KEY.test(key)) return;
    else if (CREDENTIAL_KEY.test(key)) found.push(value);
  });
  walkStrings(authJson, (path, value) => {
    const key = path.at(-1) ?? "";
    if (CREDENTIAL_KEY.test(key) || TOKEN_SHAPED.test(value)) found.push(value);
  });
  const secrets = new Set<string>();
  for (const value of found) {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
  }
  return [...secrets];
}

/**
 * Env var names to hide from the commands the agent runs: `CODEX_API_KEY`, `OPENAI_API_KEY` and every var a
 * `config` names as holding a secret (`model_providers.*.env_key`, `*_env_var` such as an MCP server's
 * `bearer_token_env_var`, and the values of `env_http_headers`).
 */
export function shellEnvironmentExclusions(
  sources: Pick<SecretSources, "config"> & { env?: SecretEnv },
): string[] {
  return [...new Set([...API_KEY_ENV_VARS, ...secretEnvNames(sources.config)])];
}

/** A Codex config object (the provider's `config` overrides). */
export type ConfigObject = { [key: string]: unknown };

/**
 * The config with `shell_environment_policy.exclude` extended by `exclusions`. The user's own
 * `shell_environment_policy` (inherit, set, include_only, their excludes) is kept; a non-array `exclude` is
 * left for codex to reject as invalid config. Returns a new object; the input is not modified.
 */
export function withShellEnvironmentExclusions<C extends ConfigObject>(
  config: C,
  exclusions: readonly string[],
): C {
  const current = config.shell_environment_policy;
  if (current !== undefined && !isObject(current)) return config;
  const policy: ConfigObject = { ...current };
  const exclude = policy.exclude;
  if (exclude !== undefined && !Array.isArray(exclude)) return config;
  policy.exclude = [...new Set([...(exclude ?? []), ...exclusions])];
  return { ...config, shell_environment_policy: policy };
}

function isObject(value: unknown): value is ConfigObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
