import { CodexProviderError } from "./core.js";

/** `major.minor` lines of the codex binary whose app-server protocol this package was built and tested against. */
export const SUPPORTED_APP_SERVER_VERSIONS: readonly string[] = ["0.163"];

/** A parsed codex version. */
export interface CodexVersion {
  /** Major number. */
  major: number;
  /** Minor number. */
  minor: number;
  /** Patch number. */
  patch: number;
  /** The text it was read from. */
  raw: string;
}

const VERSION = /(?:^|[\s/])(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?(?=$|[\s(])/;

/**
 * Reads the version from `codex --version` (`codex-cli 0.163.0`) or from the `userAgent` of the `initialize` result
 * (`<client>/0.163.0 (Debian 12.0.0; x86_64) …`): the first `x.y.z` that follows a space or slash.
 */
export function parseCodexVersion(text: string): CodexVersion | undefined {
  const match = VERSION.exec(text.trim());
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), raw: text.trim() };
}

/**
 * Refuses a binary whose `major.minor` is not in {@link SUPPORTED_APP_SERVER_VERSIONS} (the protocol is experimental
 * upstream and changes between minors) with `CODEX_INVALID_CONFIG`; returns the parsed version otherwise.
 */
export function assertSupportedAppServerVersion(
  text: string,
  supported: readonly string[] = SUPPORTED_APP_SERVER_VERSIONS,
): CodexVersion {
  const version = parseCodexVersion(text);
  const line = version ? `${version.major}.${version.minor}` : undefined;
  if (version && line && supported.includes(line)) return version;
  const found = version ? `${version.major}.${version.minor}.${version.patch}` : "an unreadable version";
  throw new CodexProviderError({
    code: "CODEX_INVALID_CONFIG",
    message: `The app-server transport supports codex ${supported.join(", ")}.x but found ${found}; install the pinned @openai/codex or use transport "exec".`,
    details: {
      failureCode: "unsupported_codex_version",
      version: text.trim().slice(0, 200),
      supported: [...supported],
    },
  });
}
