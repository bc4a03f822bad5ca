import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./core.js";
import {
  assertSupportedAppServerVersion,
  parseCodexVersion,
  SUPPORTED_APP_SERVER_VERSIONS,
} from "./version.js";

describe("parseCodexVersion", () => {
  it("reads codex --version and the initialize userAgent", () => {
    expect(parseCodexVersion("codex-cli 0.163.0\n")).toEqual({
      major: 0,
      minor: 163,
      patch: 0,
      raw: "codex-cli 0.163.0",
    });
    expect(parseCodexVersion("alphred/0.163.2 (Debian 12.0.0; x86_64) unknown (alphred; 0.0.0)")?.patch).toBe(
      2,
    );
    expect(parseCodexVersion("codex-cli 1.2.3-alpha.1")).toMatchObject({ major: 1, minor: 2, patch: 3 });
  });

  it("finds nothing in text without a version", () => {
    for (const text of ["", "codex-cli", "codex-cli 0.163", "v0.163.0x"])
      expect(parseCodexVersion(text)).toBeUndefined();
  });

  it("round-trips any x.y.z (property)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (major, minor, patch) => {
        expect(parseCodexVersion(`codex-cli ${major}.${minor}.${patch}`)).toMatchObject({
          major,
          minor,
          patch,
        });
      }),
    );
  });
});

describe("assertSupportedAppServerVersion", () => {
  it("accepts every patch of a supported line", () => {
    expect(SUPPORTED_APP_SERVER_VERSIONS).toEqual(["0.163"]);
    expect(assertSupportedAppServerVersion("codex-cli 0.163.7").patch).toBe(7);
  });

  it("refuses another minor or major, or garbage, with a typed config error", () => {
    for (const [text, found] of [
      ["codex-cli 0.164.0", "0.164.0"],
      ["codex-cli 1.163.0", "1.163.0"],
      ["something else", "an unreadable version"],
    ] as const) {
      let caught: unknown;
      try {
        assertSupportedAppServerVersion(text);
      } catch (error) {
        caught = error;
      }
      expect(CodexProviderError.isInstance(caught)).toBe(true);
      const error = caught as CodexProviderError;
      expect(error.code).toBe("CODEX_INVALID_CONFIG");
      expect(error.retryable).toBe(false);
      expect(error.message).toBe(
        `The app-server transport supports codex 0.163.x but found ${found}; install the pinned @openai/codex or use transport "exec".`,
      );
      expect(error.details).toMatchObject({ failureCode: "unsupported_codex_version", supported: ["0.163"] });
    }
  });

  it("takes the supported list as a parameter", () => {
    expect(assertSupportedAppServerVersion("codex-cli 0.164.1", ["0.163", "0.164"]).minor).toBe(164);
  });
});
