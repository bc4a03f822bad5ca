import path from "node:path";
import { CodexProviderError } from "./codexError.js";
import type { CodexIo } from "./codexIo.js";

/**
 * The `@openai/codex-sdk` version whose binary lookup this module mirrors (the SDK does not export its own
 * `findCodexPath`). A test fails when the installed SDK differs: re-check the lookup, then bump this.
 */
export const CODEX_SDK_VERSION = "0.163.0";

/** Rust target triples the `@openai/codex` package ships, by Node platform and arch. */
const TARGETS: Record<string, Record<string, string>> = {
  linux: { x64: "x86_64-unknown-linux-musl", arm64: "aarch64-unknown-linux-musl" },
  android: { x64: "x86_64-unknown-linux-musl", arm64: "aarch64-unknown-linux-musl" },
  darwin: { x64: "x86_64-apple-darwin", arm64: "aarch64-apple-darwin" },
  win32: { x64: "x86_64-pc-windows-msvc", arm64: "aarch64-pc-windows-msvc" },
};

/** The platform package `@openai/codex` depends on for each target (its optional dependencies). */
const PLATFORM_PACKAGES: Record<string, string> = {
  "x86_64-unknown-linux-musl": "@openai/codex-linux-x64",
  "aarch64-unknown-linux-musl": "@openai/codex-linux-arm64",
  "x86_64-apple-darwin": "@openai/codex-darwin-x64",
  "aarch64-apple-darwin": "@openai/codex-darwin-arm64",
  "x86_64-pc-windows-msvc": "@openai/codex-win32-x64",
  "aarch64-pc-windows-msvc": "@openai/codex-win32-arm64",
};

/** Where the codex binary lives and which directories it wants on PATH. */
export interface CodexBinary {
  /** Absolute path of the binary. */
  executablePath: string;
  /** Helper directories (bundled `rg`) to prepend to PATH. */
  pathDirs: string[];
}

/** Finds the bundled binary the way `@openai/codex-sdk` does: `@openai/codex` → platform package → vendor. */
export function resolveCodexBinary(io: CodexIo, platform: string, arch: string): CodexBinary {
  const target = TARGETS[platform]?.[arch];
  if (!target) {
    throw new CodexProviderError({
      code: "CODEX_INVALID_CONFIG",
      message: `Codex has no bundled binary for ${platform}/${arch}; run on linux, macOS or Windows (x64 or arm64).`,
      details: { platform, arch },
    });
  }
  const platformPackage = PLATFORM_PACKAGES[target] as string;
  let vendorRoot: string;
  try {
    const codexPackageJson = io.resolvePackage("@openai/codex/package.json");
    vendorRoot = path.join(
      path.dirname(io.resolvePackage(`${platformPackage}/package.json`, codexPackageJson)),
      "vendor",
      target,
    );
  } catch (cause) {
    throw new CodexProviderError({
      code: "CODEX_INVALID_CONFIG",
      message: `Codex binary package ${platformPackage} is not installed; reinstall dependencies with optional dependencies enabled (pnpm install).`,
      details: { platform, arch, package: platformPackage },
      cause,
    });
  }
  const binaryName = platform === "win32" ? "codex.exe" : "codex";
  const layouts = [
    {
      bin: path.join(vendorRoot, "bin", binaryName),
      marker: path.join(vendorRoot, "codex-package.json"),
      pathDir: "codex-path",
    },
    { bin: path.join(vendorRoot, "codex", binaryName), marker: undefined, pathDir: "path" },
  ];
  for (const layout of layouts) {
    if (io.isFile(layout.bin) && (layout.marker === undefined || io.isFile(layout.marker))) {
      const pathDir = path.join(vendorRoot, layout.pathDir);
      return { executablePath: layout.bin, pathDirs: io.isDirectory(pathDir) ? [pathDir] : [] };
    }
  }
  throw new CodexProviderError({
    code: "CODEX_INVALID_CONFIG",
    message: `Codex binary not found in ${vendorRoot}; reinstall dependencies (pnpm install) so @openai/codex ships its binary.`,
    details: { platform, arch, vendorRoot },
  });
}
