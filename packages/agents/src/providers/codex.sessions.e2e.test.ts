import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import {
  customProviderConfig,
  type Emulator,
  type HermeticRun,
  type RecordedRequest,
  startEmulator,
  type Turn,
} from "@alphred/codex-emulator";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { z } from "zod";
import type { ProviderEvent, ResultEvent } from "../provider.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { echoTurn, hermeticRun, onePixelPng, overrideBootstrap, SESSION_USAGE } from "./testing/e2e.js";
import { collect } from "./testing/harness.js";

// The session features of CodexProvider on the real binary, on both transports (the SDK's `codex exec` and
// `codex app-server`); what the emulator recorded proves what reached the API (history, text.format, input_image,
// model, tools). ALPHRED_CODEX_PATH (test harness only, set by `pnpm compat`) selects another binary.

const TRANSPORTS = ["exec", "app-server"] as const;

const MCP_TOKEN = "mcp-e2e-bearer-token-5555555555";
const MCP_HEADER = "team-header-value-6666666666";
/** Per transport, so the rows running at once can tell their requests to the shared MCP server apart. */
const mcpSecrets = (transport: string) => ({
  token: `${MCP_TOKEN}-${transport}`,
  header: `${MCP_HEADER}-${transport}`,
});

let emulator: Emulator;
let mcp: McpServer;
beforeAll(async () => {
  emulator = await startEmulator({
    script: (request): Turn => {
      if (request.prompt.includes("[[p:mcp:") && request.toolOutputs === 0) {
        return {
          steps: [
            {
              items: [
                { type: "mcp", server: "docs", tool: "lookup", arguments: { q: "x" } },
                { type: "exec", cmd: "env" },
              ],
              usage: SESSION_USAGE,
            },
          ],
        };
      }
      return echoTurn(request);
    },
  });
  mcp = await startMcpServer();
});
afterAll(async () => {
  await Promise.all([emulator?.close(), mcp?.close()]);
});

const hermetic = (context: TestContext): Promise<HermeticRun> => hermeticRun(context, emulator.baseUrl);

/** A provider on the emulator, closed (its app-server stopped) when the test ends. */
function provider(
  context: TestContext,
  run: HermeticRun,
  settings: Partial<CodexProviderOptions> = {},
): CodexProvider {
  const created = new CodexProvider({
    ...(overrideBootstrap ? { bootstrap: overrideBootstrap } : {}),
    env: run.env,
    ...settings,
    config: { ...(customProviderConfig(emulator.baseUrl) as CodexConfigObject), ...settings.config },
  });
  context.onTestFinished(() => created.close());
  return created;
}

const posts = (marker: string): RecordedRequest[] =>
  emulator.requests.filter((request) => request.method === "POST" && request.prompt.includes(marker));
const resultOf = (events: ProviderEvent[]) => events.at(-1) as ResultEvent;

describe.concurrent.for(TRANSPORTS)("CodexProvider sessions on the real binary (%s)", (transport) => {
  /** A marker unique to this test and transport (both rows run at once against one emulator). */
  const mark = (name: string) => `[[p:${name}:${transport}]]`;
  const on = (context: TestContext, run: HermeticRun, settings: Partial<CodexProviderOptions> = {}) =>
    provider(context, run, { transport, ...settings });

  it("resumes a thread in a new provider: history sent, first event carries the id, usage per turn", async (context) => {
    const run = await hermetic(context);
    const starter = on(context, run);
    const first = await collect(
      starter.run(`${mark("resume")} one`, { workingDirectory: run.workingDirectory }),
    );
    // The first process is gone (app-server: one writer per thread, see the thread_in_use test).
    await starter.close();
    expect(first.error).toBeUndefined();
    const threadId = resultOf(first.events).metadata?.threadId as string;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);

    const second = await collect(
      on(context, run).run(`${mark("resume")} two`, {
        workingDirectory: run.workingDirectory,
        resumeThreadId: threadId,
      }),
    );
    expect(second.error).toBeUndefined();
    expect(second.events[0]?.metadata).toEqual({ subtype: "thread_started", threadId });
    const turn = {
      inputTokens: 100,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 0,
      outputTokens: 7,
      reasoningOutputTokens: 2,
      totalTokens: 107,
    };
    expect(resultOf(first.events).metadata).toMatchObject({ usage: turn, threadUsage: turn });
    expect(second.events.find((event) => event.type === "usage")?.metadata).toEqual(turn);
    expect(resultOf(second.events).metadata).toMatchObject({
      threadId,
      usage: turn,
      threadUsage: { inputTokens: 200, cachedInputTokens: 20, outputTokens: 14, reasoningOutputTokens: 4 },
    });
    expect(
      posts(`${mark("resume")}`)
        .at(-1)
        ?.transcript.filter(
          (entry) => entry.role === "assistant" || entry.text.includes(`${mark("resume")}`),
        ),
    ).toEqual([
      { role: "user", text: `${mark("resume")} one` },
      { role: "assistant", text: `echo: ${mark("resume")} one` },
      { role: "user", text: `${mark("resume")} two` },
    ]);
  });

  it("resumes twice on the same provider (app-server: the warm process still holds the thread): usage per turn", async (context) => {
    const run = await hermetic(context);
    const codex = on(context, run);
    const options = { workingDirectory: run.workingDirectory };
    const first = await collect(codex.run(`${mark("warm")} one`, options));
    const threadId = resultOf(first.events).metadata?.threadId as string;
    const results: ResultEvent[] = [resultOf(first.events)];
    for (const word of ["two", "three"]) {
      const next = await collect(
        codex.run(`${mark("warm")} ${word}`, { ...options, resumeThreadId: threadId }),
      );
      expect(next.error).toBeUndefined();
      results.push(resultOf(next.events));
    }
    expect(results.map((result) => result.metadata?.threadId)).toEqual([threadId, threadId, threadId]);
    expect(results.map((result) => result.metadata?.usage.inputTokens)).toEqual([100, 100, 100]);
    expect(results.map((result) => result.metadata?.usage.outputTokens)).toEqual([7, 7, 7]);
    expect(results.map((result) => result.metadata?.threadUsage.inputTokens)).toEqual([100, 200, 300]);
    expect(results.map((result) => result.metadata?.threadUsage.totalTokens)).toEqual([107, 214, 321]);
  });

  it("returns a validated structuredOutput on a resumed turn; the request carried a strict text.format", async (context) => {
    const run = await hermetic(context);
    const codex = on(context, run);
    const first = await collect(
      codex.run(`${mark("schema")} start`, { workingDirectory: run.workingDirectory }),
    );
    const threadId = resultOf(first.events).metadata?.threadId as string;
    const typed = await collect(
      codex.run(`${mark("schema")} typed`, {
        workingDirectory: run.workingDirectory,
        resumeThreadId: threadId,
        outputSchema: z.object({ answer: z.number() }),
      }),
    );
    expect(typed.error).toBeUndefined();
    expect(resultOf(typed.events).metadata?.structuredOutput).toEqual({ answer: 42 });
    expect(posts(`${mark("schema")}`).at(-1)?.textFormat).toEqual({
      type: "json_schema",
      strict: true,
      name: "codex_output_schema",
      schema: {
        type: "object",
        properties: { answer: { type: "number" } },
        required: ["answer"],
        additionalProperties: false,
      },
    });
  });

  it("fails with CODEX_INVALID_OUTPUT and the zod issues when the answer does not validate", async (context) => {
    const run = await hermetic(context);
    const { events, error } = await collect(
      on(context, run).run(`${mark("invalid-output")} go`, {
        workingDirectory: run.workingDirectory,
        outputSchema: z.object({ answer: z.string() }),
      }),
    );
    expect(events.map((event) => event.type)).toEqual(["system", "assistant", "usage"]);
    expect(error).toMatchObject({
      code: "CODEX_INVALID_OUTPUT",
      retryable: false,
      details: { reason: "invalid", output: '{"answer":42}', issues: [{ path: ["answer"] }] },
    });
  });

  it("refuses an unknown resumeThreadId before spawning", async (context) => {
    const run = await hermetic(context);
    const { events, error } = await collect(
      on(context, run).run(`${mark("unknown")} hi`, {
        workingDirectory: run.workingDirectory,
        resumeThreadId: "019a0000-0000-7000-8000-0000000000ff",
      }),
    );
    expect(events).toEqual([]);
    expect(error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error?.details.path).toEqual(["resumeThreadId"]);
    expect(posts(`${mark("unknown")}`)).toEqual([]);
  });

  it("types the binary's own refusal when a rollout is found but codex cannot resume the thread", async (context) => {
    const run = await hermetic(context);
    const { events, error } = await collect(
      on(context, run, { readThreadRollout: async () => "" }).run(`${mark("resume-refused")} hi`, {
        workingDirectory: run.workingDirectory,
        resumeThreadId: "019a0000-0000-7000-8000-0000000000fe",
      }),
    );
    expect(events).toEqual([]);
    expect(error).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      retryable: false,
      details: { failureCode: "thread_not_found", ...(transport === "exec" ? { exitCode: 1 } : {}) },
    });
    expect(error?.message).toMatch(
      /^Codex cannot resume the thread \(option `resumeThreadId`\): .*no rollout found for thread id 019a0000-0000-7000-8000-0000000000fe/,
    );
  });

  it("sends images as input_image; a missing image is CODEX_INVALID_OPTIONS with nothing sent", async (context) => {
    const run = await hermetic(context);
    const image = path.join(run.workingDirectory, "pixel.png");
    await writeFile(image, onePixelPng());
    const ok = await collect(
      on(context, run).run(`${mark("image")} look`, {
        workingDirectory: run.workingDirectory,
        images: [image],
      }),
    );
    expect(ok.error).toBeUndefined();
    expect(posts(`${mark("image")}`)[0]?.inputImages).toEqual([
      expect.stringMatching(/^data:image\/png;base64,/),
    ]);
    const missing = await collect(
      on(context, run).run(`${mark("image-missing")} look`, {
        workingDirectory: run.workingDirectory,
        images: [path.join(run.workingDirectory, "missing.png")],
      }),
    );
    expect(missing.error?.code).toBe("CODEX_INVALID_OPTIONS");
    expect(missing.error?.message).toMatch(/images\.0: .*missing\.png does not exist$/);
    expect(posts(`${mark("image-missing")}`)).toEqual([]);
  });

  it("sends the settings' model over CODEX_MODEL, the reasoning effort, and web search only when enabled", async (context) => {
    const run = await hermetic(context);
    await collect(
      on(context, run, { model: "gpt-5.4", modelReasoningEffort: "low", webSearchMode: "disabled" }).run(
        `${mark("model")} hi`,
        { workingDirectory: run.workingDirectory },
      ),
    );
    await collect(
      on(context, run, { webSearchMode: "live" }).run(`${mark("search")} hi`, {
        workingDirectory: run.workingDirectory,
      }),
    );
    const body = posts(`${mark("model")}`)[0]?.body as {
      model: string;
      reasoning?: { effort?: string };
      tools: unknown[];
    };
    expect(run.env.CODEX_MODEL).toBe("gpt-5.5");
    expect(body.model).toBe("gpt-5.4");
    expect(body.reasoning?.effort).toBe("low");
    const toolTypes = (request?: RecordedRequest) =>
      ((request?.body as { tools?: { type: string }[] } | undefined)?.tools ?? []).map((tool) => tool.type);
    expect(toolTypes(posts(`${mark("model")}`)[0])).not.toContain("web_search");
    expect(toolTypes(posts(`${mark("search")}`)[0])).toContain("web_search");
  });

  it("runs with this run's MCP server: its tool reaches the API, the token reaches only the server", async (context) => {
    const run = await hermetic(context);
    const { token, header } = mcpSecrets(transport);
    const { events, error } = await collect(
      on(context, run).run(`${mark("mcp")} use the docs`, {
        workingDirectory: run.workingDirectory,
        mcpServers: { docs: { url: mcp.url, bearerToken: token, headers: { "X-Team": header } } },
      }),
    );
    expect(error).toBeUndefined();
    const [first, second] = posts(`${mark("mcp")}`);
    // codex defers MCP tools behind `tool_search` (how it lists them differs by version); the proof that the
    // server reached the API is its tool's answer in the follow-up request.
    expect(first?.toolOutputs).toBe(0);
    expect(JSON.stringify(second?.body)).toContain("docs say hello");
    // The server saw the token as a bearer header, and the tool call.
    expect(mcp.authorizations).toContain(`Bearer ${token}`);
    expect(mcp.teams).toContain(header);
    expect(mcp.calls.filter((call) => call.authorization === `Bearer ${token}`)).toEqual([
      expect.objectContaining({ name: "lookup", arguments: { q: "x" } }),
    ]);
    expect(
      events.some((event) => event.type === "tool_result" && event.metadata?.itemType === "mcp_tool_call"),
    ).toBe(true);
    // The agent's `env` ran, but its shell never saw the token or the variable carrying it.
    const followUp = JSON.stringify(second?.body);
    expect(followUp).toContain("CODEX_HOME=");
    expect(followUp).not.toContain(token);
    expect(followUp).not.toContain("ALPHRED_MCP_DOCS_TOKEN");
    expect(followUp).not.toContain(header);
    expect(JSON.stringify(events)).not.toContain(token);
  });
});

describe("CodexProvider sessions on app-server only", () => {
  const IN_USE = "[[p:in-use:app-server]]";

  it("types a resume while another provider's app-server holds the thread (thread_in_use); after close() it resumes", async (context) => {
    const run = await hermetic(context);
    const options = { workingDirectory: run.workingDirectory };
    const holder = provider(context, run, { transport: "app-server" });
    const first = await collect(holder.run(`${IN_USE} one`, options));
    const threadId = resultOf(first.events).metadata?.threadId as string;
    const refused = await collect(
      provider(context, run, { transport: "app-server" }).run(`${IN_USE} two`, {
        ...options,
        resumeThreadId: threadId,
      }),
    );
    expect(refused.events).toEqual([]);
    expect(refused.error).toMatchObject({
      code: "CODEX_INVALID_OPTIONS",
      retryable: false,
      details: { failureCode: "thread_in_use" },
    });
    expect(refused.error?.message).toMatch(/already has an active writer.*close\(\) that provider first/);
    await holder.close();
    const resumed = await collect(
      provider(context, run, { transport: "app-server" }).run(`${IN_USE} three`, {
        ...options,
        resumeThreadId: threadId,
      }),
    );
    expect(resumed.error).toBeUndefined();
    expect(resultOf(resumed.events).metadata?.threadUsage.inputTokens).toBe(200);
  });
});

interface McpServer {
  url: string;
  authorizations: string[];
  teams: string[];
  /** Each `tools/call`, with the `Authorization` header it came with. */
  calls: { name: string; arguments: unknown; authorization: string }[];
  close(): Promise<void>;
}

/** A minimal streamable-HTTP MCP server on loopback with one tool, `lookup`; records what it received. */
async function startMcpServer(): Promise<McpServer> {
  const authorizations: string[] = [];
  const teams: string[] = [];
  const calls: McpServer["calls"] = [];
  const body = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server: Server = createServer(async (request, response) => {
    authorizations.push(String(request.headers.authorization ?? ""));
    teams.push(String(request.headers["x-team"] ?? ""));
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    const message = JSON.parse(await body(request)) as { id?: number; method: string; params?: unknown };
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    let result: unknown;
    if (message.method === "initialize") {
      result = {
        protocolVersion: (message.params as { protocolVersion?: string })?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "docs", version: "1.0.0" },
      };
    } else if (message.method === "tools/list") {
      result = {
        tools: [
          {
            name: "lookup",
            description: "Looks a term up in the docs.",
            inputSchema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
          },
        ],
      };
    } else if (message.method === "tools/call") {
      calls.push({
        ...(message.params as { name: string; arguments: unknown }),
        authorization: String(request.headers.authorization ?? ""),
      });
      result = { content: [{ type: "text", text: "docs say hello" }] };
    } else {
      result = {};
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    teams,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
