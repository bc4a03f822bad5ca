import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CODEX_SDK_VERSION, resolveCodexBinary } from "./codexBinary.js";
import { createCodexBootstrap, interpretLoginStatus } from "./codexBootstrap.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexIo, LoginStatusOutput } from "./codexIo.js";

const CODEX_PKG = "/nm/@openai/codex/package.json";
const LINUX_PKG = "/nm/@openai/codex-linux-x64/package.json";
const VENDOR = "/nm/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl";
const BINARY = `${VENDOR}/bin/codex`;

interface FakeIoOptions {
  files?: string[];
  dirs?: string[];
  packages?: Record<string, string>;
  login?: () => Promise<LoginStatusOutput>;
}

function fakeIo(options: FakeIoOptions = {}): CodexIo & { runLoginStatus: ReturnType<typeof vi.fn> } {
  const files = new Set(options.files ?? [BINARY, `${VENDOR}/codex-package.json`]);
  const dirs = new Set(options.dirs ?? [`${VENDOR}/codex-path`, "/tmp/ch", "/h", "/h1", "/h2"]);
  const packages = options.packages ?? {
    "@openai/codex/package.json": CODEX_PKG,
    "@openai/codex-linux-x64/package.json": LINUX_PKG,
  };
  return {
    resolvePackage: (specifier: string) => {
      const found = packages[specifier];
      if (!found) throw new Error(`Cannot find module '${specifier}'`);
      return found;
    },
    isFile: (file: string) => files.has(file),
    isDirectory: (dir: string) => dirs.has(dir),
    homedir: () => "/home/fallback",
    runLoginStatus: vi.fn(
      options.login ??
        (async () => ({ exitCode: 0, signal: null, stdout: "", stderr: "Logged in using ChatGPT\n" })),
    ),
  };
}

async function rejection(promise: Promise<unknown>): Promise<CodexProviderError> {
  try {
    await promise;
  } catch (error) {
    if (CodexProviderError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("createCodexBootstrap", () => {
  const base = { platform: "linux", arch: "x64", homedir: () => "/home/fallback" };

  it("prefers CODEX_API_KEY over OPENAI_API_KEY and skips the login check", async () => {
    const io = fakeIo();
    const boot = await createCodexBootstrap({ ...base, io })({
      CODEX_API_KEY: "sk-codex-key-123456",
      OPENAI_API_KEY: "sk-openai-key-123456",
      HOME: "/home/u",
      PATH: "/usr/bin",
    });
    expect(boot).toMatchObject({
      authMode: "api_key",
      apiKey: "sk-codex-key-123456",
      apiKeySource: "CODEX_API_KEY",
      model: "gpt-5-codex",
      codexHome: "/home/u/.codex",
      codexPath: BINARY,
    });
    expect(boot.baseUrl).toBeUndefined();
    expect(boot.childEnv.PATH).toBe(`${VENDOR}/codex-path:/usr/bin`);
    // The default home is left to codex, which creates it; only an explicit CODEX_HOME is passed on.
    expect(boot.childEnv.CODEX_HOME).toBeUndefined();
    expect(io.runLoginStatus).not.toHaveBeenCalled();
  });

  it("falls back to OPENAI_API_KEY and reads model, base URL and CODEX_HOME", async () => {
    const boot = await createCodexBootstrap({ ...base, io: fakeIo() })({
      OPENAI_API_KEY: "sk-openai-key-123456",
      CODEX_MODEL: "gpt-5.5",
      OPENAI_BASE_URL: "http://127.0.0.1:9999/v1",
      CODEX_HOME: "/tmp/ch",
    });
    expect(boot).toMatchObject({
      apiKeySource: "OPENAI_API_KEY",
      model: "gpt-5.5",
      baseUrl: "http://127.0.0.1:9999/v1",
      codexHome: "/tmp/ch",
    });
    expect(boot.childEnv.PATH).toBe(`${VENDOR}/codex-path`);
  });

  it("defaults CODEX_HOME to the OS home directory when HOME is unset", async () => {
    const boot = await createCodexBootstrap({ ...base, io: fakeIo() })({
      CODEX_API_KEY: "sk-codex-key-123456",
    });
    expect(boot.codexHome).toBe(path.join("/home/fallback", ".codex"));
  });

  it.each(["CODEX_API_KEY", "OPENAI_API_KEY"])(
    "rejects a set-but-blank %s naming the variable",
    async (name) => {
      const error = await rejection(createCodexBootstrap({ ...base, io: fakeIo() })({ [name]: "  " }));
      expect(error).toBeInstanceOf(CodexProviderError);
      expect(error.code).toBe("CODEX_INVALID_CONFIG");
      expect(error.message).toContain(name);
      expect(error.details.envVar).toBe(name);
    },
  );

  it.each([
    ["OPENAI_BASE_URL", "ftp://example.test"],
    ["OPENAI_BASE_URL", "not a url"],
    ["CODEX_MODEL", "  "],
    ["CODEX_HOME", " "],
  ])("rejects invalid %s=%j as CODEX_INVALID_CONFIG", async (name, value) => {
    const error = await rejection(
      createCodexBootstrap({ ...base, io: fakeIo() })({
        CODEX_API_KEY: "sk-codex-key-123456",
        [name]: value,
      }),
    );
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(error.message).toContain(name);
  });

  it("rejects an explicit CODEX_HOME that is not a directory, before any login check", async () => {
    const io = fakeIo();
    const error = await rejection(createCodexBootstrap({ ...base, io })({ CODEX_HOME: "/missing/home" }));
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(error.message).toContain("CODEX_HOME=/missing/home");
    expect(error.details.envVar).toBe("CODEX_HOME");
    expect(io.runLoginStatus).not.toHaveBeenCalled();
  });

  it("leaves the default CODEX_HOME to codex in CLI-login mode", async () => {
    const io = fakeIo();
    const boot = await createCodexBootstrap({ ...base, io })({ HOME: "/home/new-user" });
    expect(boot.codexHome).toBe("/home/new-user/.codex");
    expect(io.runLoginStatus.mock.calls[0]?.[1]).not.toHaveProperty("CODEX_HOME");
  });

  it("uses the CLI login when no key is set, and caches a successful check per binary and CODEX_HOME", async () => {
    const io = fakeIo();
    const bootstrap = createCodexBootstrap({ ...base, io });
    const [a, b] = await Promise.all([bootstrap({ CODEX_HOME: "/h1" }), bootstrap({ CODEX_HOME: "/h1" })]);
    expect(a.authMode).toBe("cli_login");
    expect(a.apiKey).toBeUndefined();
    expect(b.authMode).toBe("cli_login");
    await bootstrap({ CODEX_HOME: "/h1" });
    expect(io.runLoginStatus).toHaveBeenCalledTimes(1);
    await bootstrap({ CODEX_HOME: "/h2" });
    expect(io.runLoginStatus).toHaveBeenCalledTimes(2);
    expect(io.runLoginStatus.mock.calls[1]?.[0]).toBe(BINARY);
    expect(io.runLoginStatus.mock.calls[1]?.[1]).toMatchObject({ CODEX_HOME: "/h2" });
  });

  it("reports no login session as CODEX_AUTH_ERROR and re-checks next time", async () => {
    let loggedIn = false;
    const io = fakeIo({
      login: async () =>
        loggedIn
          ? { exitCode: 0, signal: null, stdout: "", stderr: "Logged in using an API key - sk-...***abcde" }
          : { exitCode: 1, signal: null, stdout: "", stderr: "WARNING: proceeding\nNot logged in\n" },
    });
    const bootstrap = createCodexBootstrap({ ...base, io });
    const error = await rejection(bootstrap({ CODEX_HOME: "/h" }));
    expect(error.code).toBe("CODEX_AUTH_ERROR");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/CODEX_API_KEY.*OPENAI_API_KEY.*codex login/);
    loggedIn = true;
    await expect(bootstrap({ CODEX_HOME: "/h" })).resolves.toMatchObject({ authMode: "cli_login" });
    expect(io.runLoginStatus).toHaveBeenCalledTimes(2);
  });

  it("reports a login check that cannot run as CODEX_INVALID_CONFIG", async () => {
    const io = fakeIo({ login: async () => Promise.reject(new Error("spawn EACCES")) });
    const error = await rejection(createCodexBootstrap({ ...base, io })({ CODEX_HOME: "/h" }));
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(String(error.cause)).toContain("EACCES");
  });

  it("locates the binary once per bootstrapper, and retries after a failure", async () => {
    const io = fakeIo();
    let probes = 0;
    const resolvePackage = io.resolvePackage;
    let installed = false;
    io.resolvePackage = (specifier: string) => {
      probes++;
      if (!installed) throw new Error("Cannot find module");
      return resolvePackage(specifier);
    };
    const bootstrap = createCodexBootstrap({ ...base, io });
    await expect(bootstrap({ CODEX_API_KEY: "sk-codex-key-123456" })).rejects.toThrow(/not installed/);
    installed = true;
    await bootstrap({ CODEX_API_KEY: "sk-codex-key-123456" });
    const afterFirstSuccess = probes;
    await bootstrap({ CODEX_API_KEY: "sk-codex-key-123456" });
    expect(probes).toBe(afterFirstSuccess);
  });

  it("reports an unsupported platform as CODEX_INVALID_CONFIG", async () => {
    const error = await rejection(
      createCodexBootstrap({ ...base, platform: "aix", io: fakeIo() })({
        CODEX_API_KEY: "sk-codex-key-123456",
      }),
    );
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(error.details).toMatchObject({ platform: "aix", arch: "x64" });
  });
});

describe("resolveCodexBinary", () => {
  it("maps every supported platform to its package", () => {
    const cases = [
      ["darwin", "arm64", "@openai/codex-darwin-arm64", "aarch64-apple-darwin", "codex"],
      ["win32", "x64", "@openai/codex-win32-x64", "x86_64-pc-windows-msvc", "codex.exe"],
      ["linux", "arm64", "@openai/codex-linux-arm64", "aarch64-unknown-linux-musl", "codex"],
    ] as const;
    for (const [platform, arch, pkg, triple, exe] of cases) {
      const vendor = `/nm/${pkg}/vendor/${triple}`;
      const io = fakeIo({
        packages: {
          "@openai/codex/package.json": CODEX_PKG,
          [`${pkg}/package.json`]: `/nm/${pkg}/package.json`,
        },
        files: [path.join(vendor, "bin", exe), path.join(vendor, "codex-package.json")],
        dirs: [],
      });
      expect(resolveCodexBinary(io, platform, arch)).toEqual({
        executablePath: path.join(vendor, "bin", exe),
        pathDirs: [],
      });
    }
  });

  it("supports the legacy vendor layout", () => {
    const io = fakeIo({ files: [`${VENDOR}/codex/codex`], dirs: [`${VENDOR}/path`] });
    expect(resolveCodexBinary(io, "linux", "x64")).toEqual({
      executablePath: `${VENDOR}/codex/codex`,
      pathDirs: [`${VENDOR}/path`],
    });
  });

  it("reports a missing platform package as CODEX_INVALID_CONFIG", () => {
    const io = fakeIo({ packages: { "@openai/codex/package.json": CODEX_PKG } });
    expect(() => resolveCodexBinary(io, "linux", "x64")).toThrowError(
      /@openai\/codex-linux-x64 is not installed/,
    );
  });

  it("reports a missing binary file as CODEX_INVALID_CONFIG", () => {
    try {
      resolveCodexBinary(fakeIo({ files: [] }), "linux", "ia32");
      expect.unreachable();
    } catch (error) {
      expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_CONFIG");
    }
    expect(() => resolveCodexBinary(fakeIo({ files: [] }), "linux", "x64")).toThrowError(
      /Codex binary not found/,
    );
  });
});

describe("interpretLoginStatus", () => {
  it("accepts exit 0", () => {
    expect(() =>
      interpretLoginStatus({ exitCode: 0, signal: null, stdout: "", stderr: "" }, "/h"),
    ).not.toThrow();
  });

  it("treats other failures as config errors with stderr in details", () => {
    try {
      interpretLoginStatus(
        {
          exitCode: 2,
          signal: null,
          stdout: "",
          stderr: "error: bad auth.json with sk-proj-abcdefghijklmnopqrstuvwx",
        },
        "/h",
      );
      expect.unreachable();
    } catch (error) {
      if (!CodexProviderError.isInstance(error)) throw error;
      expect(error.code).toBe("CODEX_INVALID_CONFIG");
      expect(error.message).toContain("exit 2");
      expect(error.details.stderr).toContain("bad auth.json");
    }
  });

  it("names a killing signal", () => {
    expect(() =>
      interpretLoginStatus({ exitCode: null, signal: "SIGKILL", stdout: "", stderr: "" }, "/h"),
    ).toThrowError(/exit none, SIGKILL/);
  });
});

describe("binary lookup pin", () => {
  it("mirrors the installed @openai/codex-sdk version", async () => {
    const { readFileSync } = await import("node:fs");
    const manifest = JSON.parse(
      readFileSync(new URL("../../node_modules/@openai/codex-sdk/package.json", import.meta.url), "utf8"),
    );
    expect(manifest.version).toBe(CODEX_SDK_VERSION);
  });
});
