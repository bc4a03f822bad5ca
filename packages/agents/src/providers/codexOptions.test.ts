import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProvider } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import {
  buildTurnInput,
  type CodexTransport,
  configArgBytes,
  MAX_ARG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_INPUT_CHARS,
  MAX_SYSTEM_PROMPT_CHARS,
  MAX_TIMEOUT_MS,
  parseProviderOptions,
  parseProviderSettings,
  parseRunInput,
  parseRunOptions,
} from "./codexOptions.js";
import { collect, fakeBoot, fakeClient, record, replay, thrownCodexError } from "./testing/harness.js";

describe("parseRunOptions", () => {
  it("accepts the minimal options and leaves optional fields unset", () => {
    expect(parseRunOptions({ workingDirectory: "/repo" })).toEqual({ workingDirectory: "/repo" });
  });

  it("trims systemPrompt and ignores empty values", () => {
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: "  be brief  " }).systemPrompt).toBe(
      "be brief",
    );
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: "   " }).systemPrompt).toBeUndefined();
  });

  it("rejects non-string context entries, naming the index", () => {
    expect(() => parseRunOptions({ workingDirectory: "/r", context: ["a", 1] })).toThrowError(/context\.1/);
  });

  it("accepts timeouts up to 2^31-1 ms", () => {
    expect(parseRunOptions({ workingDirectory: "/r", timeout: MAX_TIMEOUT_MS }).timeout).toBe(2_147_483_647);
    expect(() => parseRunOptions({ workingDirectory: "/r", timeout: 1.5 })).toThrowError(/whole number/);
  });

  it.each([
    ["missing workingDirectory", {}, ["workingDirectory"]],
    ["blank workingDirectory", { workingDirectory: "   " }, ["workingDirectory"]],
    ["numeric workingDirectory", { workingDirectory: 7 }, ["workingDirectory"]],
    ["zero timeout", { workingDirectory: "/r", timeout: 0 }, ["timeout"]],
    ["negative timeout", { workingDirectory: "/r", timeout: -5 }, ["timeout"]],
    ["too large timeout", { workingDirectory: "/r", timeout: MAX_TIMEOUT_MS + 1 }, ["timeout"]],
    ["NaN timeout", { workingDirectory: "/r", timeout: Number.NaN }, ["timeout"]],
    ["infinite timeout", { workingDirectory: "/r", timeout: Number.POSITIVE_INFINITY }, ["timeout"]],
    ["string timeout", { workingDirectory: "/r", timeout: "5000" }, ["timeout"]],
    ["context not an array", { workingDirectory: "/r", context: "abc" }, ["context"]],
    ["systemPrompt not a string", { workingDirectory: "/r", systemPrompt: 42 }, ["systemPrompt"]],
  ])("rejects %s with CODEX_INVALID_OPTIONS naming the field", (_name, input, path) => {
    const error = thrownCodexError(() => parseRunOptions(input));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.retryable).toBe(false);
    expect(error.details.classification).toBe("config");
    expect(error.details.path).toEqual(path);
    expect(error.message).toContain(path[0]);
  });

  it.each([null, undefined, "x", 3])("rejects a non-object (%s)", (input) => {
    const error = thrownCodexError(() => parseRunOptions(input));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.message).toMatch(/workingDirectory/);
  });
});

describe("parseProviderSettings", () => {
  it("applies unattended defaults", () => {
    expect(parseProviderSettings(undefined)).toEqual({
      sandboxMode: "workspace-write",
      approvalPolicy: "never",
      skipGitRepoCheck: true,
      failFastReconnects: true,
      transport: "exec",
      inheritSecretsInShell: false,
    });
  });

  it("accepts the app-server transport settings and rejects bad ones", () => {
    const onApproval = () => "accept" as const;
    expect(
      parseProviderSettings({
        transport: "app-server",
        onApproval,
        approvalTimeoutMs: 500,
        appServerIdleMs: 1000,
      }),
    ).toMatchObject({ transport: "app-server", onApproval, approvalTimeoutMs: 500, appServerIdleMs: 1000 });
    expect(() => parseProviderSettings({ transport: "websocket" })).toThrow(/transport/);
    expect(() => parseProviderSettings({ onApproval: "accept" })).toThrow(/onApproval must be a function/);
    expect(() => parseProviderSettings({ appServerIdleMs: 0 })).toThrow(/appServerIdleMs/);
  });

  it("accepts nested Codex config overrides", () => {
    const config = {
      developer_instructions: "x",
      model_providers: {
        emu: { base_url: "http://127.0.0.1:1/v1", request_max_retries: 0, supports_websockets: false },
      },
      mcp_servers: { docs: { command: "node", args: ["server.js"] } },
    };
    expect(parseProviderSettings({ config }).config).toEqual(config);
  });

  it.each([
    ["a null config value", { config: { a: null } }],
    ["a non-finite number", { config: { a: Number.POSITIVE_INFINITY } }],
    ["a key with spaces", { config: { "bad key": 1 } }],
    ["a function value", { config: { a: () => 1 } }],
    ["an unknown sandbox mode", { sandboxMode: "yolo" }],
    ["an unknown approval policy", { approvalPolicy: "sometimes" }],
  ])("rejects %s with CODEX_INVALID_CONFIG", (_name, input) => {
    const error = thrownCodexError(() => parseProviderSettings(input));
    expect(error.code).toBe("CODEX_INVALID_CONFIG");
    expect(error.message).toMatch(/^Invalid CodexProvider settings: /);
  });
});

describe("buildTurnInput", () => {
  it("puts context passages before the prompt", () => {
    expect(buildTurnInput("do it", { context: ["ctx1", "ctx2"] })).toEqual([
      { type: "text", text: "ctx1" },
      { type: "text", text: "ctx2" },
      { type: "text", text: "do it" },
    ]);
    expect(buildTurnInput("only", {})).toEqual([{ type: "text", text: "only" }]);
  });
});

describe("strict inputs", () => {
  const code = (fn: () => unknown): unknown => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return CodexProviderError.isInstance(error) ? { code: error.code, message: error.message } : error;
    }
  };

  it("rejects unknown option keys by name, keeping the ZodError as cause", () => {
    expect(code(() => parseRunOptions({ workingDirectory: "/r", timeOut: 5 }))).toEqual({
      code: "CODEX_INVALID_OPTIONS",
      message: 'Invalid run options: timeOut: unknown option "timeOut"',
    });
    expect(code(() => parseProviderOptions({ sandbox: "read-only" }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining('unknown option "sandbox"'),
    });
    try {
      parseRunOptions({ workingDirectory: "/r", extra: 1 });
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(((error as Error).cause as Error).name).toBe("ZodError");
    }
  });

  it.each([
    ["null", null],
    ["a number", 42],
    ["an array", []],
    ["a string", "x"],
  ])("rejects %s as the constructor argument", (_name, value) => {
    expect(code(() => parseProviderOptions(value))).toMatchObject({ code: "CODEX_INVALID_CONFIG" });
  });

  it("rejects non-string env values and non-function seams, naming the key", () => {
    expect(code(() => parseProviderOptions({ env: { CODEX_API_KEY: 123 } }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining("env.CODEX_API_KEY"),
    });
    expect(code(() => parseProviderOptions({ now: 5 }))).toMatchObject({
      message: expect.stringContaining("now must be a function"),
    });
    expect(parseProviderOptions({ env: { A: "1", B: undefined }, now: () => 1 }).seams.env).toEqual({
      A: "1",
      B: undefined,
    });
  });

  it("rejects cyclic, too deep and argv-overflowing config", () => {
    const cyclic: Record<string, unknown> = { a: { b: 1 } };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(code(() => parseProviderSettings({ config: cyclic }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining("cyclic"),
    });
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let level = 0; level < 2000; level++) node = node.k = {} as Record<string, unknown>;
    expect(code(() => parseProviderSettings({ config: deep }))).toMatchObject({
      message: expect.stringContaining(`deeper than ${MAX_CONFIG_DEPTH}`),
    });
    expect(code(() => parseProviderSettings({ config: { big: "x".repeat(MAX_ARG_BYTES) } }))).toMatchObject({
      message: expect.stringContaining("config.big"),
    });
    expect(
      code(() => parseProviderSettings({ config: { list: ["x".repeat(MAX_ARG_BYTES)] } })),
    ).toMatchObject({
      message: expect.stringContaining("config.list"),
    });
    expect(parseProviderSettings({ config: { shared: [1, 2], again: { x: [1, 2] } } }).config).toBeDefined();
  });

  it("takes only whole-millisecond timeout and idleTimeout", () => {
    expect(parseRunOptions({ workingDirectory: "/r", idleTimeout: 500 }).idleTimeout).toBe(500);
    expect(code(() => parseRunOptions({ workingDirectory: "/r", idleTimeout: 0.5 }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining("idleTimeout"),
    });
  });

  it("resolves workingDirectory to an absolute path, so a flag-like name is never read as a flag", () => {
    expect(parseRunOptions({ workingDirectory: "--version" }).workingDirectory).toBe(
      path.resolve("--version"),
    );
  });

  it("rejects a systemPrompt that cannot fit one command-line argument, up front", () => {
    const fits = "x".repeat(MAX_ARG_BYTES - 100);
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: fits }).systemPrompt).toBe(fits);
    expect(
      code(() => parseRunOptions({ workingDirectory: "/r", systemPrompt: "x".repeat(1_048_576) })),
    ).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining("systemPrompt"),
    });
    // Quotes and newlines grow when quoted: the check counts the argument as the SDK builds it.
    expect(
      code(() =>
        parseRunOptions({ workingDirectory: "/r", systemPrompt: '"'.repeat(MAX_ARG_BYTES / 2 + 10) }),
      ),
    ).toMatchObject({ code: "CODEX_INVALID_OPTIONS" });
  });

  it("checks the prompt's length with its context before anything spawns", () => {
    const half = "y".repeat(MAX_INPUT_CHARS / 2);
    expect(parseRunInput(half, { workingDirectory: "/r", context: ["c"] }).input).toHaveLength(2);
    expect(code(() => parseRunInput(half, { workingDirectory: "/r", context: [half] }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      message: expect.stringContaining(`at most ${MAX_INPUT_CHARS}`),
    });
    expect(code(() => parseRunInput("   ", { workingDirectory: "/r" }))).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
    });
  });
});

/**
 * Bytes a character takes inside the SDK's `--config key="..."` argument, modelled independently of
 * `configArgBytes`: JSON escapes for quote, backslash and controls, UTF-8 for the rest.
 */
const QUOTED_BYTES: Record<string, number> = {
  a: 1,
  " ": 1,
  é: 2,
  東: 3,
  "😀": 4,
  '"': 2,
  "\\": 2,
  "\n": 2,
  "\t": 2,
  "\u0001": 6,
};
const ARG_PREFIX_BYTES = Buffer.byteLength('developer_instructions=""');
/** Bytes of `text` between the quotes of its argument. */
const escapedBytes = (text: string) =>
  [...text].reduce((sum, char) => sum + (QUOTED_BYTES[char] ?? Number.NaN), 0);
const quotedBytes = (text: string) => ARG_PREFIX_BYTES + escapedBytes(text);

/**
 * A text of exactly `target` by `size` (additive, "a" counting 1): `chunk` repeated, framed by non-blank
 * characters (trimming keeps it whole), padded with "a".
 */
function grown(chunk: string, target: number, size: (text: string) => number): string {
  const room = target - 2;
  const body = chunk.repeat(Math.max(0, Math.floor(room / size(chunk))));
  return `a${"a".repeat(Math.max(0, room - size(body)))}${body}a`;
}

const systemPromptError = (systemPrompt: string, transport: CodexTransport) =>
  thrownCodexError(() => parseRunOptions({ workingDirectory: "/r", systemPrompt }, transport));

describe("per-transport limits: argv limits apply only where argv is used", () => {
  const chunks = fc
    .array(fc.constantFrom(...Object.keys(QUOTED_BYTES)), { minLength: 1, maxLength: 12 })
    .map((chars) => chars.join(""));

  it("exec: a systemPrompt is accepted exactly when its quoted argument fits MAX_ARG_BYTES (multi-byte, escapes)", () => {
    fc.assert(
      fc.property(chunks, fc.integer({ min: -12, max: 12 }), (chunk, delta) => {
        const text = grown(chunk, MAX_ARG_BYTES - ARG_PREFIX_BYTES + delta, escapedBytes);
        expect(quotedBytes(text)).toBe(MAX_ARG_BYTES + delta);
        expect(configArgBytes("developer_instructions", text)).toBe(quotedBytes(text));
        const fits = delta <= 0;
        if (fits) {
          expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: text }, "exec").systemPrompt).toBe(
            text,
          );
        } else {
          expect(systemPromptError(text, "exec")).toMatchObject({
            code: "CODEX_INVALID_OPTIONS",
            details: { path: ["systemPrompt"] },
          });
        }
        // Whatever fits argv is far inside the app-server's bound.
        expect(
          parseRunOptions({ workingDirectory: "/r", systemPrompt: text }, "app-server").systemPrompt,
        ).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it("app-server: a systemPrompt is accepted exactly up to MAX_SYSTEM_PROMPT_CHARS characters (UTF-16 units), trimmed first", () => {
    const units = (text: string) => text.length;
    fc.assert(
      fc.property(chunks, fc.integer({ min: -6, max: 6 }), fc.nat(3), (chunk, delta, padding) => {
        const text = grown(chunk, MAX_SYSTEM_PROMPT_CHARS + delta, units);
        const padded = `${" ".repeat(padding)}${text}${"\n".repeat(padding)}`;
        expect(text).toHaveLength(MAX_SYSTEM_PROMPT_CHARS + delta);
        if (delta <= 0) {
          const parsed = parseRunOptions({ workingDirectory: "/r", systemPrompt: padded }, "app-server");
          expect(parsed.systemPrompt).toBe(text);
        } else {
          const error = systemPromptError(padded, "app-server");
          expect(error).toMatchObject({ code: "CODEX_INVALID_OPTIONS", details: { path: ["systemPrompt"] } });
          expect(error.message).toContain(`at most ${MAX_SYSTEM_PROMPT_CHARS} characters`);
        }
        // On exec every one of these is far over one argument, and the message names the way out.
        expect(systemPromptError(text, "exec").message).toContain('transport "app-server" accepts');
      }),
      { numRuns: 25 },
    );
  });

  it("the limits at their edges: the default transport is exec; app-server takes 1 MiB, not one unit more", () => {
    const atArgv = grown("a", MAX_ARG_BYTES - ARG_PREFIX_BYTES, escapedBytes);
    expect(configArgBytes("developer_instructions", atArgv)).toBe(MAX_ARG_BYTES);
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: atArgv }).systemPrompt).toBe(atArgv);
    expect(systemPromptError(`${atArgv}a`, "exec").message).toBe(
      `Invalid run options: systemPrompt: systemPrompt must fit one ${MAX_ARG_BYTES}-byte command-line argument once quoted (about 128 KiB) with transport "exec"; transport "app-server" accepts up to ${MAX_SYSTEM_PROMPT_CHARS} characters`,
    );
    expect(() => parseRunOptions({ workingDirectory: "/r", systemPrompt: `${atArgv}a` })).toThrowError(
      /transport "app-server"/,
    );
    // An astral character is two units: 1 MiB of units is 512 Ki emoji.
    const emoji = "😀".repeat(MAX_SYSTEM_PROMPT_CHARS / 2);
    expect(parseRunOptions({ workingDirectory: "/r", systemPrompt: emoji }, "app-server").systemPrompt).toBe(
      emoji,
    );
    expect(systemPromptError(`${emoji}a`, "app-server").code).toBe("CODEX_INVALID_OPTIONS");
    // parseRunInput threads the transport through; the prompt's own bound is the same on both.
    const prepared = parseRunInput("go", { workingDirectory: "/r", systemPrompt: emoji }, "app-server");
    expect(prepared.options.systemPrompt).toBe(emoji);
    expect(
      thrownCodexError(() => parseRunInput("go", { workingDirectory: "/r", systemPrompt: emoji })).code,
    ).toBe("CODEX_INVALID_OPTIONS");
    expect(MAX_SYSTEM_PROMPT_CHARS).toBe(MAX_INPUT_CHARS);
  });

  it("exec: a config array counts as the SDK writes it (', ' between entries), so TOML overhead cannot slip past", () => {
    const entry = "x".repeat(98);
    // JSON `["x…","x…",…]` fits the argument; the SDK's `["x…", "x…", …]` is one byte longer per separator.
    const count = Math.floor((MAX_ARG_BYTES - Buffer.byteLength("list=[]")) / (entry.length + 3));
    const list = Array.from({ length: count }, () => entry);
    expect(Buffer.byteLength(`list=${JSON.stringify(list)}`)).toBeLessThanOrEqual(MAX_ARG_BYTES);
    expect(configArgBytes("list", list)).toBe(
      Buffer.byteLength(`list=[${list.map((item) => `"${item}"`).join(", ")}]`),
    );
    expect(configArgBytes("list", list)).toBeGreaterThan(MAX_ARG_BYTES);
    expect(thrownCodexError(() => parseProviderSettings({ config: { list } }))).toMatchObject({
      code: "CODEX_INVALID_CONFIG",
      message: expect.stringContaining('transport "app-server" sends config as JSON'),
      details: { path: ["config", "list"] },
    });
    expect(configArgBytes("t", [{ a: 1, "b.c": "d" }, [true, 2]])).toBe(
      Buffer.byteLength('t=[{a = 1, "b.c" = "d"}, [true, 2]]'),
    );
  });

  const big = "x".repeat(4 * MAX_ARG_BYTES);
  it.each([
    ["a leaf", { big }],
    ["an array", { list: [big, big] }],
    ["a nested leaf", { a: { b: { developer_instructions: big } } }],
  ])(
    "app-server: config travels as JSON, so %s over one argument is fine there and refused on exec",
    (_name, config) => {
      expect(parseProviderSettings({ transport: "app-server", config }).config).toEqual(config);
      expect(thrownCodexError(() => parseProviderSettings({ transport: "exec", config })).code).toBe(
        "CODEX_INVALID_CONFIG",
      );
      expect(thrownCodexError(() => parseProviderSettings({ config })).code).toBe("CODEX_INVALID_CONFIG");
    },
  );

  it("app-server: config is still limited in depth and cycles; an unknown transport is refused", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(
      thrownCodexError(() => parseProviderSettings({ transport: "app-server", config: cyclic })).message,
    ).toContain("cyclic");
    // An unknown transport is refused by the schema, after the stricter (exec) shape check.
    expect(thrownCodexError(() => parseProviderSettings({ transport: "ssh", config: { big } })).code).toBe(
      "CODEX_INVALID_CONFIG",
    );
  });

  it("CodexProvider validates a run with its own transport: 1 MB reaches app-server's client, exec spawns nothing", async () => {
    const large = "Rules: be exact.\n".repeat(MAX_SYSTEM_PROMPT_CHARS / 32);
    const done = [
      { type: "thread.started", thread_id: "t" },
      {
        type: "turn.completed",
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 },
      },
    ];
    for (const transport of ["app-server", "exec"] as const) {
      const recorded = record();
      const provider = new CodexProvider({
        transport,
        env: {},
        bootstrap: async () => fakeBoot("sk-test-000000000000"),
        createClient: fakeClient(replay(done), recorded),
        isDirectory: () => true,
      });
      const { error } = await collect(provider.run("go", { workingDirectory: "/w", systemPrompt: large }));
      if (transport === "app-server") {
        expect(error).toBeUndefined();
        expect(recorded.clientOptions?.config?.developer_instructions).toBe(large.trim());
      } else {
        expect(error).toMatchObject({ code: "CODEX_INVALID_OPTIONS", details: { path: ["systemPrompt"] } });
        expect(recorded.started).toBe(0);
      }
      await provider.close();
    }
  });
});
