import { z } from "zod";
import { resolveCodexBinary } from "./codexBinary.js";
import type { CodexEnv } from "./codexBootstrap.js";
import {
  type CodexCommandOutput,
  type CodexIo,
  readPackageVersion,
  realCodexIo,
  runCodexCommand,
} from "./codexIo.js";
import { DEFAULT_CODEX_MODEL } from "./codexOptions.js";
import { createSecretRedactor } from "./codexRedaction.js";

/** How serious a finding is: `error` means a run will fail, `warn` that it may misbehave. */
export type DoctorStatus = "ok" | "warn" | "error";

/** One finding of `diagnoseCodex`. */
export interface DoctorCheck {
  /** Stable id: `binary`, `credential`, `hidden_login`, `codex_home`, `base_url`, `model`, `login`. */
  id: "binary" | "credential" | "hidden_login" | "codex_home" | "base_url" | "model" | "login";
  /** Severity. */
  status: DoctorStatus;
  /** What was found; secrets masked. */
  message: string;
  /** What to do about it, when something is wrong. */
  fix?: string;
}

/** Where the credential of a run comes from. */
export type CredentialSource = "CODEX_API_KEY" | "OPENAI_API_KEY" | "codex_login" | "none";

/** What `diagnoseCodex` found; log-safe (keys masked). */
export interface CodexDiagnosis {
  /** True when no check is an `error`. */
  ok: boolean;
  /** The credential a run will use. */
  credential: {
    /** Env var, the login stored in `CODEX_HOME`, or none. */
    source: CredentialSource;
    /** The key, masked (`sk-...abcd`), when it comes from an env var. */
    maskedKey?: string;
    /** True when an env key is used although `CODEX_HOME` also holds a stored login. */
    hidesStoredLogin: boolean;
  };
  /** The Codex home directory (auth, config, sessions). */
  codexHome: {
    /** Absolute path. */
    path: string;
    /** True when `CODEX_HOME` set it; else `$HOME/.codex`. */
    explicit: boolean;
    /** Whether the directory exists. */
    exists: boolean;
  };
  /** The codex binary. */
  binary: {
    /** Absolute path, when found. */
    path?: string;
    /** `codex --version` output, e.g. `codex-cli 0.163.0`. */
    version?: string;
  };
  /** Installed `@openai/codex-sdk` version. */
  sdkVersion?: string;
  /** `OPENAI_BASE_URL`, when set. */
  baseUrl?: string;
  /** The model a run will ask for. */
  model: {
    /** Model slug. */
    slug: string;
    /** Where it came from. */
    source: "option" | "CODEX_MODEL" | "default";
    /** Whether the binary's bundled catalog lists it; `undefined` when the catalog could not be read. */
    knownToBinary?: boolean;
    /** Slugs of the binary's bundled catalog (`codex debug models --bundled`). */
    catalog: string[];
  };
  /** `codex login status` of `CODEX_HOME` (stored credentials only). */
  login: {
    /** Exit 0: a stored login exists. */
    loggedIn: boolean;
    /** Its text, masked; `undefined` when it could not run. */
    status?: string;
  };
  /** Every finding, in report order. */
  checks: DoctorCheck[];
}

/** IO the doctor uses: the provider's `CodexIo` plus running codex subcommands and reading package versions. */
export interface DoctorIo extends Pick<CodexIo, "resolvePackage" | "isFile" | "isDirectory" | "homedir"> {
  /** Runs `<codex> ...args`; rejects only when it cannot start. */
  runCommand(
    codexPath: string,
    args: readonly string[],
    env: Record<string, string>,
  ): Promise<CodexCommandOutput>;
  /** Installed version of a package, or `undefined`. */
  readPackageVersion(name: string): string | undefined;
}

/** Options of `diagnoseCodex`. */
export interface DiagnoseOptions {
  /** Environment to diagnose; defaults to `process.env`. */
  env?: CodexEnv;
  /** Model the caller will set explicitly (wins over `CODEX_MODEL`). */
  model?: string;
  /** Diagnose this binary instead of the bundled one. */
  codexPath?: string;
}

/** What the doctor reads the machine through; `createCodexDoctor` takes any of them (tests inject fakes). */
export interface DoctorDependencies {
  /** Process and file-system access. */
  io: DoctorIo;
  /** `process.platform`. */
  platform: string;
  /** `process.arch`. */
  arch: string;
}

/** Diagnoses the machine; see `diagnoseCodex`. */
export type CodexDoctor = (options?: DiagnoseOptions) => Promise<CodexDiagnosis>;

const realDoctorIo: DoctorIo = {
  resolvePackage: realCodexIo.resolvePackage,
  isFile: realCodexIo.isFile,
  isDirectory: realCodexIo.isDirectory,
  homedir: realCodexIo.homedir,
  runCommand: runCodexCommand,
  readPackageVersion,
};

/** Masks a secret for display: its first 3 and last 4 characters (`sk-...abcd`), or `***` when short. */
export function maskSecret(secret: string): string {
  const value = secret.trim();
  return value.length < 16 ? "***" : `${value.slice(0, 3)}...${value.slice(-4)}`;
}

const catalogSchema = z.object({ models: z.array(z.object({ slug: z.string() })) });
const urlSchema = z.url({ protocol: /^https?$/ });

/** Parses `codex debug models` output: the catalog's slugs, or `undefined` when it is not a catalog. */
export function parseModelCatalog(stdout: string): string[] | undefined {
  try {
    const parsed = catalogSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data.models.map((model) => model.slug) : undefined;
  } catch {
    return undefined;
  }
}

/** Creates a doctor that reads the machine through `dependencies` (the real IO and platform by default). */
export function createCodexDoctor(dependencies: Partial<DoctorDependencies> = {}): CodexDoctor {
  const { io, platform, arch }: DoctorDependencies = {
    io: realDoctorIo,
    platform: process.platform,
    arch: process.arch,
    ...dependencies,
  };
  return (options = {}) => diagnose(options, io, platform, arch);
}

/**
 * Diagnoses why Codex would or would not start here: credential and its source, `CODEX_HOME`, binary and version,
 * SDK version, base URL, model and whether the binary's catalog knows it, login status. Never throws for what it
 * finds (findings are `checks`); keys are masked everywhere in the result.
 */
export const diagnoseCodex: CodexDoctor = createCodexDoctor();

async function diagnose(
  options: DiagnoseOptions,
  io: DoctorIo,
  platform: string,
  arch: string,
): Promise<CodexDiagnosis> {
  const env = options.env ?? process.env;
  const checks: DoctorCheck[] = [];
  const secrets = [env.CODEX_API_KEY, env.OPENAI_API_KEY].filter(
    (value): value is string => typeof value === "string" && value.trim().length > 0,
  );
  const redact = createSecretRedactor(secrets).text;

  // Credential by the provider's precedence: CODEX_API_KEY, OPENAI_API_KEY, then the stored login.
  let source: CredentialSource = "none";
  let maskedKey: string | undefined;
  for (const name of ["CODEX_API_KEY", "OPENAI_API_KEY"] as const) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.trim().length === 0) {
      checks.push({
        id: "credential",
        status: "error",
        message: `${name} is set but empty.`,
        fix: `Set ${name} to an API key, or unset it to use the login stored in CODEX_HOME (codex login).`,
      });
    } else {
      source = name;
      maskedKey = maskSecret(value);
    }
    break;
  }

  const explicitHome = env.CODEX_HOME?.trim() || undefined;
  const homePath = explicitHome ?? `${env.HOME?.trim() || io.homedir()}/.codex`;
  const homeExists = io.isDirectory(homePath);
  checks.push(
    explicitHome && !homeExists
      ? {
          id: "codex_home",
          status: "error",
          message: `CODEX_HOME=${homePath} is not an existing directory.`,
          fix: "Create it, or unset CODEX_HOME to use $HOME/.codex.",
        }
      : {
          id: "codex_home",
          status: "ok",
          message: `${homePath} (${explicitHome ? "CODEX_HOME" : "default $HOME/.codex"}${homeExists ? "" : ", not created yet"})`,
        },
  );

  let baseUrl: string | undefined;
  if (env.OPENAI_BASE_URL !== undefined) {
    baseUrl = redact(env.OPENAI_BASE_URL);
    const valid = urlSchema.safeParse(env.OPENAI_BASE_URL.trim()).success;
    checks.push(
      valid
        ? { id: "base_url", status: "ok", message: `${baseUrl} (OPENAI_BASE_URL)` }
        : {
            id: "base_url",
            status: "error",
            message: `OPENAI_BASE_URL=${baseUrl} is not a valid http(s) URL.`,
            fix: "Fix or unset OPENAI_BASE_URL (unset means the OpenAI API).",
          },
    );
  } else {
    checks.push({ id: "base_url", status: "ok", message: "OpenAI API (OPENAI_BASE_URL not set)" });
  }

  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;

  let binaryPath = options.codexPath;
  let binaryVersion: string | undefined;
  if (binaryPath === undefined) {
    try {
      const codexIo: CodexIo = {
        ...io,
        runLoginStatus: (codexPath, childEnv) => io.runCommand(codexPath, ["login", "status"], childEnv),
      };
      binaryPath = resolveCodexBinary(codexIo, platform, arch).executablePath;
    } catch (error) {
      checks.push({
        id: "binary",
        status: "error",
        message: redact(error instanceof Error ? error.message : String(error)),
        fix: "Reinstall dependencies with optional dependencies enabled (pnpm install).",
      });
    }
  }
  const run = async (args: string[]): Promise<CodexCommandOutput | undefined> => {
    if (binaryPath === undefined) return undefined;
    try {
      return await io.runCommand(binaryPath, args, childEnv);
    } catch {
      return undefined;
    }
  };
  const [versionOut, catalogOut, loginOut] = await Promise.all([
    run(["--version"]),
    run(["debug", "models", "--bundled"]),
    run(["login", "status"]),
  ]);
  if (binaryPath !== undefined) {
    binaryVersion = versionOut?.exitCode === 0 ? versionOut.stdout.trim() : undefined;
    checks.unshift(
      binaryVersion
        ? { id: "binary", status: "ok", message: `${binaryVersion} at ${binaryPath}` }
        : {
            id: "binary",
            status: "error",
            message: `${binaryPath} does not run (\`codex --version\` failed).`,
            fix: "Reinstall dependencies (pnpm install) so @openai/codex ships a working binary.",
          },
    );
  }

  const loggedIn = loginOut?.exitCode === 0;
  const loginText = loginOut ? statusLine(redact(`${loginOut.stderr}\n${loginOut.stdout}`)) : undefined;
  if (loginOut === undefined) {
    checks.push({ id: "login", status: "warn", message: "`codex login status` could not run." });
  } else {
    checks.push({
      id: "login",
      status: "ok",
      message: loggedIn ? `stored login in ${homePath}: ${loginText}` : `no stored login in ${homePath}`,
    });
  }
  const credentialError = checks.some((check) => check.id === "credential");
  if (source === "none" && loggedIn) source = "codex_login";
  if (!credentialError) {
    checks.push(
      source === "none"
        ? {
            id: "credential",
            status: "error",
            message: "No credential: no API key variable and no stored login.",
            fix: `Set CODEX_API_KEY (or OPENAI_API_KEY), or run \`codex login\` with CODEX_HOME=${homePath}.`,
          }
        : {
            id: "credential",
            status: "ok",
            message:
              source === "codex_login" ? `the login stored in ${homePath}` : `${source} (${maskedKey})`,
          },
    );
  }
  const hidesStoredLogin = (source === "CODEX_API_KEY" || source === "OPENAI_API_KEY") && loggedIn;
  if (hidesStoredLogin) {
    checks.push({
      id: "hidden_login",
      status: "warn",
      message: `${source} is used; the login stored in ${homePath} is ignored.`,
      fix: `Unset ${source} to use the stored login, or \`codex logout\` to remove it.`,
    });
  }

  const optionModel = options.model?.trim() || undefined;
  const envModel = env.CODEX_MODEL?.trim() || undefined;
  const slug = optionModel ?? envModel ?? DEFAULT_CODEX_MODEL;
  const modelSource = optionModel ? "option" : envModel ? "CODEX_MODEL" : "default";
  const catalog = catalogOut?.exitCode === 0 ? parseModelCatalog(catalogOut.stdout) : undefined;
  const knownToBinary = catalog?.includes(slug);
  const where =
    modelSource === "default" ? "the default" : modelSource === "option" ? "the model option" : "CODEX_MODEL";
  if (catalog === undefined) {
    checks.push({
      id: "model",
      status: "warn",
      message: `${slug} (${where}); the binary's model catalog could not be read.`,
    });
  } else if (knownToBinary) {
    checks.push({ id: "model", status: "ok", message: `${slug} (${where}), in the binary's catalog` });
  } else {
    checks.push({
      id: "model",
      status: "warn",
      message: `${slug} (${where}) is not in ${binaryVersion ?? "the binary"}'s model catalog: codex then runs without its metadata ("Model metadata for ${slug} not found"; no apply_patch tool).`,
      fix: `Set CODEX_MODEL (or the provider's model setting) to one of: ${catalog.join(", ")}.`,
    });
  }

  const sdkVersion = io.readPackageVersion("@openai/codex-sdk");
  return {
    ok: !checks.some((check) => check.status === "error"),
    credential: { source, ...(maskedKey ? { maskedKey } : {}), hidesStoredLogin },
    codexHome: { path: homePath, explicit: explicitHome !== undefined, exists: homeExists },
    binary: {
      ...(binaryPath !== undefined ? { path: binaryPath } : {}),
      ...(binaryVersion ? { version: binaryVersion } : {}),
    },
    ...(sdkVersion ? { sdkVersion } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    model: {
      slug,
      source: modelSource,
      ...(knownToBinary !== undefined ? { knownToBinary } : {}),
      catalog: catalog ?? [],
    },
    login: { loggedIn, ...(loginText !== undefined ? { status: loginText } : {}) },
    checks,
  };
}

/** The status line of `codex login status`: 0.163 prints "Logged in using …", 0.169 "API key configured - …". */
function statusLine(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("WARNING:"));
  return lines.find((line) => /logged in|api key configured/i.test(line)) ?? lines.at(-1) ?? "";
}

const ANSI = {
  ok: "\u001b[32m",
  warn: "\u001b[33m",
  error: "\u001b[31m",
  dim: "\u001b[2m",
  reset: "\u001b[0m",
};
const LABEL: Record<DoctorStatus, string> = { ok: "ok  ", warn: "warn", error: "FAIL" };

/** Renders a diagnosis for people: one line per check, fixes indented, optionally coloured. */
export function formatDiagnosis(diagnosis: CodexDiagnosis, options: { color?: boolean } = {}): string {
  const paint = (status: DoctorStatus | "dim", text: string) =>
    options.color ? `${ANSI[status]}${text}${ANSI.reset}` : text;
  const lines = [
    "Codex doctor",
    paint("dim", `  sdk @openai/codex-sdk ${diagnosis.sdkVersion ?? "not found"}`),
  ];
  for (const check of diagnosis.checks) {
    lines.push(`  ${paint(check.status, LABEL[check.status])} ${check.id.padEnd(12)} ${check.message}`);
    if (check.fix) lines.push(`       ${" ".repeat(12)} ${paint("dim", `→ ${check.fix}`)}`);
  }
  lines.push(
    diagnosis.ok
      ? paint("ok", "Codex can start here.")
      : paint("error", "Codex will not start here; fix the FAIL lines above."),
  );
  return `${lines.join("\n")}\n`;
}
