import { deflateSync } from "node:zlib";
import {
  createHermeticRun,
  type HermeticRun,
  type RecordedRequest,
  type Turn,
} from "@alphred/codex-emulator";
import { expect, type TestContext } from "vitest";
import type { ProviderEvent, ToolEventMetadata } from "../../provider.js";
import { resolveCodexBinary } from "../codexBinary.js";
import { bootstrapCodex, type CodexBootstrapper } from "../codexBootstrap.js";
import { realCodexIo, runCodexCommand } from "../codexIo.js";
import { types } from "./harness.js";

/**
 * The shared setup of the end-to-end tier (the real `codex` binary, the real SDK, the loopback emulator): which
 * binary runs, hermetic runs, `codex login`, the emulator turns both transports' tables share, and the success
 * check. The fake-client harness (harness.ts) and the process scan (processScan.mjs) stay where they are.
 */

/**
 * `pnpm compat` (scripts/compatibility.mjs) points the e2e tier at another published binary through this env var.
 * Read only here, in the test harness; the package itself always runs the pinned binary.
 */
export const CODEX_PATH_OVERRIDE = process.env.ALPHRED_CODEX_PATH?.trim() || undefined;

/** The pinned `codex` of @openai/codex, whatever ALPHRED_CODEX_PATH says. */
export const bundledCodexPath = (): string =>
  resolveCodexBinary(realCodexIo, process.platform, process.arch).executablePath;

/** The binary under test: ALPHRED_CODEX_PATH when set, else the one the real bootstrap resolves (the pinned one). */
export async function codexPathUnderTest(): Promise<string> {
  if (CODEX_PATH_OVERRIDE) return CODEX_PATH_OVERRIDE;
  return (await bootstrapCodex({ CODEX_API_KEY: "sk-unused-0000000000", PATH: process.env.PATH })).codexPath;
}

/** The real bootstrap pointed at ALPHRED_CODEX_PATH; `undefined` (the provider's own bootstrap) without it. */
export const overrideBootstrap: CodexBootstrapper | undefined = CODEX_PATH_OVERRIDE
  ? async (env) => ({ ...(await bootstrapCodex(env)), codexPath: CODEX_PATH_OVERRIDE })
  : undefined;

/** A hermetic run (temp CODEX_HOME, HOME, working directory) removed when this test finishes. */
export async function hermeticRun(context: TestContext, baseUrl: string): Promise<HermeticRun> {
  const run = await createHermeticRun({ baseUrl });
  // Per test, not afterEach: concurrent tests would remove each other's directories.
  context.onTestFinished(() => run.cleanup());
  return run;
}

/** Stores an API-key login in the run's CODEX_HOME (`codex login --with-api-key`), by default with the binary under test. */
export async function codexLogin(run: HermeticRun, key: string, binary?: string): Promise<void> {
  const out = await runCodexCommand(
    binary ?? (await codexPathUnderTest()),
    ["login", "--with-api-key"],
    { PATH: run.env.PATH ?? "", HOME: run.env.HOME ?? "", CODEX_HOME: run.codexHome },
    `${key}\n`,
  );
  expect(out.exitCode, `codex login failed: ${out.stderr}`).toBe(0);
}

/** An emulator message item. */
export const msg = (text: string) => ({ type: "message" as const, text });
/** An emulator turn of these steps. */
export const turn = (...steps: Turn["steps"]): Turn => ({ steps });

/** A patch that adds notes/hello.txt. */
export const PATCH = [
  "*** Begin Patch",
  "*** Add File: notes/hello.txt",
  "+hello from e2e",
  "*** End Patch",
].join("\n");

/** The scripted turns both transports' e2e tables share, keyed by the `[[e2e:<name>]]` marker of the prompt. */
export const SHARED_TURNS: Record<string, Turn> = {
  message: turn({ items: [msg("Hello from the emulator.")] }),
  reasoning: turn({ items: [{ type: "reasoning", text: "Weighing the options." }, msg("Reasoned answer.")] }),
  "exec-ok": turn({ items: [{ type: "exec", cmd: "echo out; echo err >&2" }] }, { items: [msg("ran it")] }),
  "exec-fail": turn(
    { items: [{ type: "exec", cmd: "echo failing; exit 3" }] },
    { items: [msg("it failed")] },
  ),
  patch: turn({ items: [{ type: "apply_patch", patch: PATCH }] }, { items: [msg("patched")] }),
  search: turn({ items: [{ type: "web_search", query: "codex sdk events" }, msg("searched")] }),
  "two-messages": turn({ items: [msg("first message"), msg("second message")] }),
  malformed: turn({ fault: "malformed", items: [msg("survived garbage")] }),
  "http-401": turn({
    fault: "http",
    status: 401,
    body: {
      error: {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        code: "invalid_api_key",
      },
    },
  }),
  "http-403": turn({ fault: "http", status: 403 }),
  "http-429": turn({ fault: "http", status: 429 }),
  quota: turn({ fault: "insufficient_quota" }),
  "http-500": turn({ fault: "http", status: 500 }),
  "http-503": turn({ fault: "http", status: 503 }),
  reset: turn({ fault: "reset", items: [msg("partial before reset")] }),
  eof: turn({ fault: "eof", items: [msg("partial before eof")] }),
  overflow: turn({
    fault: "response_failed",
    code: "context_length_exceeded",
    message: "Your input exceeds the context window of this model.",
  }),
  incomplete: turn({ fault: "incomplete" }),
  hang: turn({ fault: "hang" }),
};

/** The metadata of every `tool_use` or `tool_result` event. */
export const toolMeta = (
  events: readonly ProviderEvent[],
  type: "tool_use" | "tool_result",
): ToolEventMetadata[] =>
  events.flatMap((event) => (event.type === type && event.metadata ? [event.metadata] : []));

/** A successful run: no error, thread_started first, exactly one result with `finalText`, right after usage. */
export function expectSuccess(
  result: { events: readonly ProviderEvent[]; error?: { toJSON(): unknown } },
  finalText: string,
): void {
  expect(result.error?.toJSON()).toBeUndefined();
  expect(result.events[0]).toMatchObject({ type: "system", metadata: { subtype: "thread_started" } });
  expect(types(result.events).filter((type) => type === "result")).toHaveLength(1);
  expect(result.events.at(-2)?.type).toBe("usage");
  expect(result.events.at(-1)).toMatchObject({ type: "result", content: finalText });
}

/** A signal that aborts after `ms`. */
export function abortAfter(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

/** The usage of every turn the session tiers' emulator answers. */
export const SESSION_USAGE = { inputTokens: 100, cachedInputTokens: 10, outputTokens: 7, reasoningTokens: 2 };

/** The session tiers' answer: `{"answer":42}` when the request asks for structured output, else an echo of its last line. */
export const echoTurn = (request: RecordedRequest): Turn => ({
  steps: [
    request.textFormat
      ? { items: [{ type: "json", value: { answer: 42 } }], usage: SESSION_USAGE }
      : {
          items: [{ type: "message", text: `echo: ${request.prompt.split("\n").at(-1)}` }],
          usage: SESSION_USAGE,
        },
  ],
});

/** A valid 1×1 RGB PNG. */
export function onePixelPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
