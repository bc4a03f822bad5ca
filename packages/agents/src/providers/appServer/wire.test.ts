import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./core.js";
import {
  approvalDecisionSchema,
  codexErrorInfoFacts,
  initializeResultSchema,
  isApprovalRequest,
  isConsumedNotification,
  KNOWN_ITEM_TYPES,
  parseNotification,
  parseResult,
  parseServerRequest,
  threadItemSchema,
  threadStartResultSchema,
  turnStartResultSchema,
} from "./wire.js";

type Line = { id?: number | string; method?: string; params?: unknown; result?: unknown };

const FIXTURES = new URL("./fixtures/", import.meta.url);
const fixture = (name: string): Line[] =>
  readFileSync(new URL(name, FIXTURES), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);
const fixtureNames = readdirSync(FIXTURES).filter((name) => name.endsWith(".jsonl"));

function invalid(run: () => unknown): CodexProviderError {
  try {
    run();
  } catch (error) {
    expect(CodexProviderError.isInstance(error)).toBe(true);
    return error as CodexProviderError;
  }
  throw new Error("expected a CodexProviderError");
}

describe("recorded app-server streams (fixtures/*.jsonl, codex-cli 0.163.0)", () => {
  it.each(fixtureNames)("%s: every consumed notification and approval request parses", (name) => {
    let consumed = 0;
    for (const line of fixture(name)) {
      if (line.method === undefined) continue;
      if ("id" in line) {
        expect(parseServerRequest(line.method, line.params)?.method).toBe(line.method);
      } else if (isConsumedNotification(line.method)) {
        consumed += 1;
        expect(parseNotification(line.method, line.params)?.method).toBe(line.method);
      } else {
        expect(parseNotification(line.method, line.params)).toBeUndefined();
      }
    }
    if (name !== "handshake.jsonl") expect(consumed).toBeGreaterThan(0);
  });

  it("parses the handshake results", () => {
    const [init, , , threadStart] = fixture("handshake.jsonl");
    expect(parseResult("initialize", initializeResultSchema, init?.result).userAgent).toMatch(/\/0\.163\.0 /);
    const started = parseResult("thread/start", threadStartResultSchema, threadStart?.result);
    expect(started).toMatchObject({ model: "gpt-5.5", modelProvider: "emulator" });
    expect(started.thread.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reads the command item, usage and completion of a one-command turn", () => {
    const lines = fixture("command-turn.jsonl");
    expect(parseResult("turn/start", turnStartResultSchema, lines[0]?.result).turn.status).toBe("inProgress");
    const parsed = lines.flatMap((line) =>
      line.method && !("id" in line) ? [parseNotification(line.method, line.params)] : [],
    );
    const command = parsed.find(
      (n) => n?.method === "item/completed" && n.params.item.type === "commandExecution",
    );
    expect(command?.params).toMatchObject({
      item: { type: "commandExecution", status: "completed", exitCode: 0 },
    });
    // stdout and stderr interleave in either order.
    const item = command?.method === "item/completed" ? command.params.item : undefined;
    expect(item?.type === "commandExecution" && item.aggregatedOutput?.split("\n").sort()).toEqual([
      "",
      "err",
      "out",
    ]);
    const usage = parsed.filter((n) => n?.method === "thread/tokenUsage/updated");
    expect(usage).toHaveLength(2);
    // `last` is one model call, `total` the thread's running sum: a turn's usage is the change in `total`.
    const [first, second] = usage.map((n) =>
      n?.method === "thread/tokenUsage/updated" ? n.params.tokenUsage : undefined,
    );
    expect(second?.total.totalTokens).toBe((first?.total.totalTokens ?? 0) + (second?.last.totalTokens ?? 0));
    expect(second?.last.totalTokens).toBeLessThan(second?.total.totalTokens ?? 0);
    const last = parsed.at(-1);
    expect(last?.method === "turn/completed" && last.params.turn.status).toBe("completed");
  });

  it("reads the structured error and the failed turn of a 401", () => {
    const error = fixture("http-401-turn.jsonl").find((line) => line.method === "error") as Line;
    const parsed = parseNotification("error", error.params);
    expect(parsed?.method).toBe("error");
    if (parsed?.method !== "error") return;
    expect(parsed.params.willRetry).toBe(false);
    expect(codexErrorInfoFacts(parsed.params.error.codexErrorInfo)).toEqual({
      kind: "httpConnectionFailed",
      httpStatusCode: 401,
    });
  });

  it("reads an approval request and the declined command that follows", () => {
    const lines = fixture("approval-decline-turn.jsonl");
    const request = lines.find((line) => line.method === "item/commandExecution/requestApproval") as Line;
    expect(request.id).toBe(0);
    const parsedRequest = parseServerRequest(request.method as string, request.params);
    expect(parsedRequest?.params).toMatchObject({ command: "/bin/bash -c 'echo out; echo err >&2'" });
    const declined = lines.find(
      (line) =>
        line.method === "item/completed" &&
        (line.params as { item: { type: string } }).item.type === "commandExecution",
    ) as Line;
    expect(parseNotification("item/completed", declined.params)?.params).toMatchObject({
      item: { id: parsedRequest?.params.itemId, status: "declined", exitCode: null },
    });
  });
});

describe("validation at the boundary", () => {
  it("ignores methods we do not consume and refuses malformed consumed ones with CODEX_INVALID_EVENT", () => {
    expect(parseNotification("account/rateLimits/updated", { anything: true })).toBeUndefined();
    const error = invalid(() =>
      parseNotification("item/agentMessage/delta", { threadId: "t", turnId: "u", itemId: "i" }),
    );
    expect(error.code).toBe("CODEX_INVALID_EVENT");
    expect(error.message).toBe(
      "codex app-server sent an unexpected item/agentMessage/delta: delta Invalid input: expected string, received undefined",
    );
    expect(error.details).toMatchObject({ method: "item/agentMessage/delta", path: "delta" });
    expect(invalid(() => parseNotification("turn/completed", null)).message).toContain("(root)");
  });

  it("validates approval requests and leaves other server requests alone", () => {
    expect(isApprovalRequest("item/fileChange/requestApproval")).toBe(true);
    expect(isApprovalRequest("item/tool/requestUserInput")).toBe(false);
    expect(parseServerRequest("item/tool/requestUserInput", {})).toBeUndefined();
    expect(
      parseServerRequest("item/fileChange/requestApproval", {
        threadId: "t",
        turnId: "u",
        itemId: "i",
        reason: "write outside the workspace",
        startedAtMs: 1,
      })?.params.reason,
    ).toBe("write outside the workspace");
    expect(invalid(() => parseServerRequest("item/fileChange/requestApproval", { threadId: "t" })).code).toBe(
      "CODEX_INVALID_EVENT",
    );
  });

  it("names the method of an invalid result", () => {
    const error = invalid(() => parseResult("thread/start", threadStartResultSchema, { thread: {} }));
    expect(error.message).toMatch(/^codex app-server sent an unexpected thread\/start result: thread\.id /);
  });

  it("passes unknown item kinds through and validates known ones", () => {
    expect(threadItemSchema.parse({ type: "contextCompaction", id: "c1", extra: 1 })).toEqual({
      type: "other",
      itemType: "contextCompaction",
      id: "c1",
      raw: { type: "contextCompaction", id: "c1", extra: 1 },
    });
    expect(threadItemSchema.safeParse({ type: "agentMessage", id: "m1" }).success).toBe(false);
    expect(KNOWN_ITEM_TYPES).toEqual([
      "userMessage",
      "agentMessage",
      "reasoning",
      "commandExecution",
      "fileChange",
      "mcpToolCall",
      "webSearch",
      "plan",
    ]);
  });

  it("accepts exactly the four decisions of the issue", () => {
    expect(approvalDecisionSchema.options).toEqual(["accept", "acceptForSession", "decline", "cancel"]);
  });

  it("never throws anything but a CodexProviderError on arbitrary params (property)", () => {
    const methods = ["turn/completed", "item/started", "error", "thread/tokenUsage/updated", "x/y"];
    fc.assert(
      fc.property(fc.constantFrom(...methods), fc.jsonValue(), (method, params) => {
        try {
          parseNotification(method, params);
        } catch (error) {
          expect(CodexProviderError.isInstance(error)).toBe(true);
        }
      }),
    );
  });
});

describe("codexErrorInfoFacts", () => {
  it("reads bare variants and variants carrying an HTTP status", () => {
    expect(codexErrorInfoFacts("usageLimitExceeded")).toEqual({ kind: "usageLimitExceeded" });
    expect(codexErrorInfoFacts({ responseTooManyFailedAttempts: { httpStatusCode: 429 } })).toEqual({
      kind: "responseTooManyFailedAttempts",
      httpStatusCode: 429,
    });
    expect(codexErrorInfoFacts({ httpConnectionFailed: { httpStatusCode: null } })).toEqual({
      kind: "httpConnectionFailed",
    });
    expect(codexErrorInfoFacts({ activeTurnNotSteerable: { turnKind: "review" } })).toEqual({
      kind: "activeTurnNotSteerable",
    });
    expect(codexErrorInfoFacts({ other: null })).toEqual({ kind: "other" });
  });

  it("returns no facts for empty or foreign shapes, and never throws (property)", () => {
    for (const value of [null, undefined, "", 42, [], {}, ["x"]])
      expect(codexErrorInfoFacts(value)).toEqual({});
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const facts = codexErrorInfoFacts(value);
        if (facts.httpStatusCode !== undefined) expect(Number.isInteger(facts.httpStatusCode)).toBe(true);
      }),
    );
  });
});
