import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CodexProviderError } from "./core.js";
import {
  createJsonRpcClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type JsonRpcClientOptions,
  type JsonRpcTransport,
  type ServerRequest,
  type TransportClose,
} from "./jsonRpc.js";

/** A transport fed by the test: `receive` plays server lines, `written` records client lines. */
function fakeTransport() {
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: ((close: TransportClose) => void)[] = [];
  const written: string[] = [];
  const transport: JsonRpcTransport = {
    writeLine: (line) => written.push(line),
    onLine: (listener) => lineListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
  };
  return {
    transport,
    written,
    sent: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    receive: (...lines: (string | object)[]) => {
      for (const line of lines) {
        for (const listener of lineListeners)
          listener(typeof line === "string" ? line : JSON.stringify(line));
      }
    },
    close: (close: TransportClose) => {
      for (const listener of closeListeners) listener(close);
    },
  };
}

function setup(options: Omit<JsonRpcClientOptions, "transport"> = {}) {
  const fake = fakeTransport();
  const client = createJsonRpcClient({ transport: fake.transport, ...options });
  return { ...fake, client };
}

async function rejection(promise: Promise<unknown>): Promise<CodexProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(CodexProviderError.isInstance(error)).toBe(true);
  return error as CodexProviderError;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("requests", () => {
  it("writes one line per request with increasing ids and no jsonrpc field, and resolves with the result", async () => {
    const { client, sent, receive } = setup();
    const first = client.request("initialize", { clientInfo: { name: "t" } });
    const second = client.request("thread/start");
    expect(sent()).toEqual([
      { id: 1, method: "initialize", params: { clientInfo: { name: "t" } } },
      { id: 2, method: "thread/start" },
    ]);
    receive({ id: 2, result: { thread: { id: "th" } } }, { id: 1, result: { userAgent: "x" } });
    await expect(first).resolves.toEqual({ userAgent: "x" });
    await expect(second).resolves.toEqual({ thread: { id: "th" } });
    expect(client.pendingCount).toBe(0);
  });

  it("turns an error response into a typed, non-retryable error naming the method", async () => {
    const { client, receive } = setup();
    const pending = client.request("turn/start", {});
    receive({ id: 1, error: { code: -32600, message: "Not initialized" } });
    const error = await rejection(pending);
    expect(error.code).toBe("CODEX_INTERNAL_ERROR");
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("codex app-server refused turn/start: Not initialized");
    expect(error.details).toMatchObject({
      failureCode: "rpc_error",
      rpcMethod: "turn/start",
      rpcCode: -32600,
    });
  });

  it("tolerates an error response without code or message", async () => {
    const { client, receive } = setup();
    const pending = client.request("x");
    receive({ id: 1, error: "boom" });
    const error = await rejection(pending);
    expect(error.message).toBe("codex app-server refused x: no message");
    expect(error.details.rpcCode).toBeUndefined();
  });

  it("times out a request with CODEX_TIMEOUT and counts its late response as unmatched", async () => {
    vi.useFakeTimers();
    const { client, receive } = setup({ defaultTimeoutMs: 100 });
    const slow = client.request("turn/interrupt", { threadId: "t" });
    const custom = client.request("thread/start", undefined, { timeoutMs: 500 });
    vi.advanceTimersByTime(100);
    const error = await rejection(slow);
    expect(error.code).toBe("CODEX_TIMEOUT");
    expect(error.details).toMatchObject({
      failureCode: "rpc_timeout",
      rpcMethod: "turn/interrupt",
      timeoutMs: 100,
    });
    receive({ id: 1, result: {} });
    expect(client.stats.unmatchedResponses).toBe(1);
    expect(client.pendingCount).toBe(1);
    receive({ id: 2, result: "ok" });
    await expect(custom).resolves.toBe("ok");
  });

  it("waits without a deadline when timeoutMs is 0, and defaults to 30 s", async () => {
    vi.useFakeTimers();
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    const { client, receive } = setup();
    const forever = client.request("a", undefined, { timeoutMs: 0 });
    const bounded = client.request("b");
    vi.advanceTimersByTime(29_999);
    expect(client.pendingCount).toBe(2);
    vi.advanceTimersByTime(1);
    expect((await rejection(bounded)).code).toBe("CODEX_TIMEOUT");
    vi.advanceTimersByTime(10 * 60_000);
    receive({ id: 1, result: 1 });
    await expect(forever).resolves.toBe(1);
  });

  it("rejects params that cannot be serialized without sending anything", async () => {
    const { client, written } = setup();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await rejection(client.request("x", circular));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(written).toEqual([]);
    expect(client.pendingCount).toBe(0);
  });
});

describe("the end of the transport", () => {
  it("fails every pending and later request with CODEX_TRANSPORT_ERROR carrying the exit facts", async () => {
    const { client, receive, close, written } = setup();
    const a = client.request("turn/start");
    const b = client.request("thread/start");
    close({ exitCode: null, signal: "SIGKILL" });
    for (const pending of [a, b]) {
      const error = await rejection(pending);
      expect(error.code).toBe("CODEX_TRANSPORT_ERROR");
      expect(error.retryable).toBe(true);
      expect(error.details).toMatchObject({ failureCode: "app_server_exited", signal: "SIGKILL" });
    }
    expect((await rejection(b)).message).toBe(
      "codex app-server exited (signal SIGKILL) before answering thread/start.",
    );
    const later = await rejection(client.request("initialize"));
    expect(later.message).toBe("codex app-server exited (signal SIGKILL) before answering initialize.");
    receive({ id: 1, result: {} });
    client.notify("initialized");
    expect(written).toHaveLength(2);
    expect(client.closed).toBe(true);
    expect(client.pendingCount).toBe(0);
  });

  it("reports an exit code and a spawn failure", async () => {
    const exited = setup();
    const a = exited.client.request("x");
    exited.close({ exitCode: 1, signal: null });
    expect((await rejection(a)).message).toBe("codex app-server exited (code 1) before answering x.");
    expect((await rejection(a)).details.exitCode).toBe(1);
    const never = setup();
    const b = never.client.request("x");
    never.close({ exitCode: null, signal: null, spawnError: "spawn codex ENOENT" });
    const error = await rejection(b);
    expect(error.message).toBe("codex app-server could not start (spawn codex ENOENT) before answering x.");
    expect(error.details.spawnError).toBe("spawn codex ENOENT");
  });

  it("close() fails pending requests once; a second close and a late transport end change nothing", async () => {
    const { client, close } = setup();
    const a = client.request("x");
    client.close("provider closed");
    client.close("again");
    close({ exitCode: 0, signal: null });
    const error = await rejection(a);
    expect(error.message).toBe("codex app-server was closed (provider closed) before answering x.");
    expect(error.details.failureCode).toBe("app_server_closed");
    const plain = setup();
    plain.client.close();
    expect((await rejection(plain.client.request("y"))).message).toBe(
      "codex app-server was closed before answering y.",
    );
  });

  it("treats a transport whose write throws as dead", async () => {
    const fake = fakeTransport();
    const client = createJsonRpcClient({
      transport: {
        ...fake.transport,
        writeLine: () => {
          throw new Error("EPIPE");
        },
      },
    });
    const error = await rejection(client.request("x"));
    expect(error.message).toBe("codex app-server was closed (write failed: EPIPE) before answering x.");
    expect(client.closed).toBe(true);
    const other = createJsonRpcClient({
      transport: {
        ...fake.transport,
        writeLine: () => {
          throw "nope";
        },
      },
    });
    other.notify("initialized");
    expect((await rejection(other.request("y"))).message).toContain("write failed: nope");
  });
});

describe("notifications and garbage", () => {
  it("dispatches notifications in order, ignores blank lines, and counts garbage without failing", async () => {
    const seen: [string, unknown][] = [];
    const { client, receive, written } = setup({
      onNotification: (method, params) => seen.push([method, params]),
    });
    const pending = client.request("x");
    receive(
      { method: "turn/started", params: { turn: { id: "t" } } },
      "",
      "not json at all",
      "[1,2]",
      "null",
      { id: 1 },
      { foo: "bar" },
      { method: "initialized" },
      { id: 1, result: 42 },
    );
    await expect(pending).resolves.toBe(42);
    expect(seen).toEqual([
      ["turn/started", { turn: { id: "t" } }],
      ["initialized", undefined],
    ]);
    expect(client.stats).toMatchObject({
      garbageLines: 5,
      unmatchedResponses: 0,
      lastGarbage: '{"foo":"bar"}',
    });
    client.notify("initialized");
    client.notify("x", { a: 1 });
    expect(written.slice(1)).toEqual(['{"method":"initialized"}', '{"method":"x","params":{"a":1}}']);
  });

  it("keeps going when a notification handler throws, and counts it", () => {
    const seen: string[] = [];
    const { client, receive } = setup({
      onNotification: (method) => {
        seen.push(method);
        if (method === "bad") throw new Error("handler bug");
      },
    });
    receive({ method: "bad" }, { method: "good" });
    expect(seen).toEqual(["bad", "good"]);
    expect(client.stats.handlerErrors).toBe(1);
  });

  it("cuts a long garbage line to 200 characters and drops notifications without a handler", () => {
    const { client, receive } = setup();
    receive("x".repeat(500), { method: "turn/started" });
    expect(client.stats.lastGarbage).toBe(`${"x".repeat(200)}…`);
  });
});

describe("server requests (approvals)", () => {
  const approval = {
    id: 0,
    method: "item/commandExecution/requestApproval",
    params: { itemId: "call_1", command: "ls" },
  };

  it("hands the request to the handler and sends exactly one reply with the same id", () => {
    const received: ServerRequest[] = [];
    const { receive, sent } = setup({ onServerRequest: (request) => received.push(request) });
    receive(approval, { id: "s-1", method: "item/fileChange/requestApproval" });
    expect(received.map(({ id, method, params }) => ({ id, method, params }))).toEqual([
      approval,
      { id: "s-1", method: "item/fileChange/requestApproval", params: undefined },
    ]);
    const [command, file] = received as [ServerRequest, ServerRequest];
    expect(command.reply({ decision: "accept" })).toBe(true);
    expect(command.reply({ decision: "decline" })).toBe(false);
    expect(command.replyError({ code: 1, message: "late" })).toBe(false);
    expect(file.replyError({ code: -32000, message: "no" })).toBe(true);
    expect(file.reply(undefined)).toBe(false);
    expect(sent()).toEqual([
      { id: 0, result: { decision: "accept" } },
      { id: "s-1", error: { code: -32000, message: "no" } },
    ]);
  });

  it("answers -32601 when nobody handles server requests, so the server never waits", () => {
    const { receive, sent } = setup();
    receive(approval);
    expect(sent()).toEqual([
      {
        id: 0,
        error: { code: -32601, message: "client does not handle item/commandExecution/requestApproval" },
      },
    ]);
  });

  it("answers -32603 when the handler throws before replying, and keeps a reply it sent before throwing", () => {
    const { client, receive, sent } = setup({
      onServerRequest: (request) => {
        if (request.id === 1) request.reply({ decision: "cancel" });
        throw new Error("handler bug");
      },
    });
    receive(approval, { ...approval, id: 1 });
    expect(sent()).toEqual([
      {
        id: 0,
        error: { code: -32603, message: "client failed to handle item/commandExecution/requestApproval" },
      },
      { id: 1, result: { decision: "cancel" } },
    ]);
    expect(client.stats.handlerErrors).toBe(2);
  });

  it("replies null for an undefined result, an error for an unserializable one, nothing once closed", () => {
    const received: ServerRequest[] = [];
    const { client, receive, sent } = setup({ onServerRequest: (request) => received.push(request) });
    receive(approval, { ...approval, id: 1 }, { ...approval, id: 2 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const [a, b, c] = received as [ServerRequest, ServerRequest, ServerRequest];
    a.reply(undefined);
    b.reply(circular);
    client.close();
    expect(c.reply({ decision: "accept" })).toBe(false);
    expect(sent()).toEqual([
      { id: 0, result: null },
      { id: 1, error: { code: -32603, message: "client reply is not JSON" } },
    ]);
  });
});

describe("framing (property)", () => {
  type Event =
    | { kind: "response"; index: number; ok: boolean }
    | { kind: "duplicate"; index: number }
    | { kind: "notification"; n: number }
    | { kind: "garbage"; text: string }
    | { kind: "stray"; id: number }
    | { kind: "close" };

  const scenario = fc.integer({ min: 1, max: 12 }).chain((count) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: count, maxLength: count }),
        fc.array(fc.integer({ min: 0, max: 99 }), { maxLength: 8 }),
        fc.array(fc.string(), { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: count - 1 }), { maxLength: 3 }),
        fc.boolean(),
      )
      .chain(([oks, notes, junk, dups, withClose]) => {
        const events: Event[] = [
          ...oks.map((ok, index): Event => ({ kind: "response", index, ok })),
          ...notes.map((n): Event => ({ kind: "notification", n })),
          ...junk.map((text): Event => ({ kind: "garbage", text })),
          ...dups.map((index): Event => ({ kind: "duplicate", index })),
          { kind: "stray", id: 10_000 },
          ...(withClose ? [{ kind: "close" } as Event] : []),
        ];
        return fc.tuple(fc.constant(count), fc.shuffledSubarray(events, { minLength: events.length }));
      }),
  );

  it("settles every request exactly once, with its own answer or the transport error, in any interleaving", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ([count, events]) => {
        const notes: unknown[] = [];
        const { client, receive, close } = setup({ onNotification: (_m, params) => notes.push(params) });
        const settled: number[] = new Array(count).fill(0);
        const outcomes = Array.from({ length: count }, (_, index) =>
          client.request(`m${index}`).then(
            (value) => {
              settled[index] = (settled[index] as number) + 1;
              return { ok: true as const, value };
            },
            (error: CodexProviderError) => {
              settled[index] = (settled[index] as number) + 1;
              return { ok: false as const, code: error.code };
            },
          ),
        );
        for (const event of events) {
          if (event.kind === "response" || event.kind === "duplicate") {
            const id = event.index + 1;
            receive(
              event.kind === "duplicate" || event.ok
                ? { id, result: event.index }
                : { id, error: { code: 1, message: "no" } },
            );
          } else if (event.kind === "notification") receive({ method: "n", params: event.n });
          else if (event.kind === "garbage") receive(event.text);
          else if (event.kind === "stray") receive({ id: event.id, result: null });
          else close({ exitCode: null, signal: "SIGKILL" });
        }
        const cut = closeIndex(events);
        // Without a close every request has had its answer, so nothing may stay pending.
        if (cut === Number.POSITIVE_INFINITY) expect(client.pendingCount).toBe(0);
        else close({ exitCode: 0, signal: null });
        const results = await Promise.all(outcomes);
        expect(settled).toEqual(new Array(count).fill(1));
        const before = events.slice(0, cut);
        results.forEach((result, index) => {
          const first = before.find(
            (e): e is Extract<Event, { index: number }> =>
              (e.kind === "response" || e.kind === "duplicate") && e.index === index,
          );
          const expected = !first
            ? { ok: false, code: "CODEX_TRANSPORT_ERROR" }
            : first.kind === "duplicate" || first.ok
              ? { ok: true, value: index }
              : { ok: false, code: "CODEX_INTERNAL_ERROR" };
          expect(result).toEqual(expected);
        });
        expect(notes).toEqual(before.flatMap((e) => (e.kind === "notification" ? [e.n] : [])));
        expect(client.pendingCount).toBe(0);
      }),
    );
  });

  function closeIndex(events: readonly Event[]): number {
    const index = events.findIndex((e) => e.kind === "close");
    return index < 0 ? Number.POSITIVE_INFINITY : index;
  }
});
