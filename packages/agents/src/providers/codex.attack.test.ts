import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProviderEvent } from "../provider.js";
import { CodexProvider, type CodexProviderOptions } from "./codex.js";
import { CodexProviderError } from "./codexError.js";
import type { CodexConfigObject } from "./codexOptions.js";
import { createRunRedactor, MIN_SECRET_LENGTH, REDACTED } from "./codexRedaction.js";
import {
  collect as drain,
  fakeBoot,
  fakeClient,
  rawUsage,
  replay,
  replayThenHang,
  throwingProxy,
} from "./testing/harness.js";

// Adversarial tests of the run handle's documented promises: no known secret reaches a yielded event or a thrown
// error, bad input fails typed before anything spawns, every way a run ends settles once.

const usage = rawUsage(1, 0, 1, 0);

function run(options: CodexProviderOptions, prompt = "go") {
  return drain(
    new CodexProvider({ isDirectory: () => true, ...options }).run(prompt, { workingDirectory: "/repo" }),
  );
}

/** Every rendering of a run's outcome a caller might log. */
function everything(result: { events: ProviderEvent[]; error?: unknown }): string {
  const { events, error } = result;
  const parts = [JSON.stringify(events), inspect(events, { depth: null, showHidden: true })];
  if (error instanceof Error) {
    parts.push(String(error), String(error.stack), JSON.stringify(error));
    parts.push(inspect(error, { depth: null, showHidden: true }));
  }
  return parts.join("\n");
}

/** Raw SDK items of every type the mapper maps, each carrying `s` in every string field it has. */
function itemsCarrying(s: string): unknown[] {
  return [
    { id: `m-${s}`, type: "agent_message", text: s },
    { id: `r-${s}`, type: "reasoning", text: s },
    { id: `e-${s}`, type: "error", message: s },
    {
      id: `c-${s}`,
      type: "command_execution",
      command: s,
      aggregated_output: s,
      exit_code: 1,
      status: "failed",
    },
    { id: `f-${s}`, type: "file_change", changes: [{ path: s, kind: "add" }], status: "completed" },
    {
      id: `p-${s}`,
      type: "mcp_tool_call",
      server: s,
      tool: s,
      arguments: { [s]: s, list: [s, { n: s }], num: s },
      result: { content: [{ type: "text", text: s }], structured_content: { [s]: [s] } },
      error: { message: s },
      status: "failed",
    },
    { id: `w-${s}`, type: "web_search", query: s },
    { id: `t-${s}`, type: "todo_list", items: [{ text: s, completed: false }] },
  ];
}

function everyEventCarrying(s: string): unknown[] {
  const items = itemsCarrying(s);
  return [
    { type: "thread.started", thread_id: `t-${s}` },
    { type: "turn.started" },
    { type: "error", message: `Reconnecting... 1/5 (${s})` },
    ...items.map((item) => ({ type: "item.started", item })),
    ...items.map((item) => ({ type: "item.updated", item })),
    ...items.map((item) => ({ type: "item.completed", item })),
    { type: "item.completed", item: { id: `u-${s}`, type: `unknown_${s}`, text: s } },
    { type: "item.completed", item: { id: "final", type: "agent_message", text: `answer ${s}` } },
  ];
}

const secretChar = fc.constantFrom(..."abcXYZ019.*+?^$()[]{}|\\/-_~=:é😀 \"'");
const secretArb = fc
  .array(secretChar, { minLength: MIN_SECRET_LENGTH, maxLength: 24 })
  .map((chars) => chars.join(""))
  .filter((s) => s.trim() === s && s.length >= MIN_SECRET_LENGTH);

describe("attack: secrets in every field of every event", () => {
  it("an API key in object keys of MCP arguments and structured content is redacted", async () => {
    const key = "plain-key-value-0001";
    const result = await run({
      env: { CODEX_API_KEY: key },
      bootstrap: async () => fakeBoot(key),
      createClient: fakeClient(
        replay([
          { type: "thread.started", thread_id: "t1" },
          {
            type: "item.completed",
            item: {
              id: "p1",
              type: "mcp_tool_call",
              server: "s",
              tool: "t",
              arguments: { [key]: 1 },
              result: { content: [], structured_content: { [key]: true } },
              status: "completed",
            },
          },
          { type: "turn.completed", usage },
        ]),
      ),
    });
    expect(result.error).toBeUndefined();
    expect(everything(result)).not.toContain(key);
  });

  it("colliding redacted keys all reach the caller, and a symbol's description is redacted", async () => {
    const key = "plain-key-value-0002";
    const dirty = Symbol(`sym ${key}`);
    const result = await run({
      env: { CODEX_API_KEY: key },
      bootstrap: async () => fakeBoot(key),
      createClient: fakeClient(
        replay([
          { type: "thread.started", thread_id: "t1" },
          {
            type: "item.completed",
            item: {
              id: "p1",
              type: "mcp_tool_call",
              server: "s",
              tool: "t",
              // A custom client may hand anything: symbol keys are dropped by the wire copy (as JSON would),
              // symbol values are kept and redacted with the rest.
              arguments: { [key]: 1, [REDACTED]: 2, "sk-proj-abcdef123456": 3, [dirty]: 4, value: dirty },
              result: { content: [], structured_content: { list: [dirty] } },
              status: "completed",
            },
          },
          { type: "turn.completed", usage },
        ]),
      ),
    });
    expect(result.error).toBeUndefined();
    expect(everything(result)).not.toContain(key);
    const toolUse = result.events.find((event) => event.type === "tool_use");
    const args = (toolUse?.metadata as { arguments?: Record<string, unknown> } | undefined)?.arguments ?? {};
    expect(Object.keys(args).sort()).toEqual([REDACTED, `${REDACTED}#2`, `${REDACTED}#3`, "value"].sort());
    expect(
      Object.values(args)
        .filter((value) => typeof value === "number")
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(String(args.value)).toBe(`Symbol(sym ${REDACTED})`);
  });

  it("property: a secret from any source, in every field of every event, never reaches the caller", async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.constantFrom("CODEX_API_KEY", "OPENAI_API_KEY", "ACME_KEY", "bearer", "mcp", "header"),
        fc.boolean(),
        async (secret, source, fail) => {
          const env: Record<string, string> = {};
          const config: Record<string, unknown> = {
            model_providers: { acme: { env_key: "ACME_KEY", base_url: "http://127.0.0.1:1/v1" } },
          };
          if (source === "bearer") {
            (config.model_providers as { acme: Record<string, unknown> }).acme.experimental_bearer_token =
              secret;
          } else if (source === "mcp") {
            config.mcp_servers = { m: { url: "http://127.0.0.1:2/mcp", bearer_token: secret } };
          } else if (source === "header") {
            config.model_providers = { acme: { http_headers: { "X-Custom": secret } } };
          } else env[source] = secret;
          const key =
            source === "CODEX_API_KEY" || source === "OPENAI_API_KEY" ? secret : "bootstrap-key-0000";
          const events = everyEventCarrying(secret);
          const result = await run({
            env,
            config: config as CodexConfigObject,
            bootstrap: async () => fakeBoot(key),
            createClient: fakeClient(
              fail
                ? replay(
                    [...events, { type: "turn.failed", error: { message: `401 ${secret}` } }],
                    Object.assign(new Error(`Codex Exec exited with code 1: ${secret}`), {
                      stderr: secret,
                      cause: new Error(secret),
                    }),
                  )
                : replay([...events, { type: "turn.completed", usage }]),
            ),
          });
          if (fail) expect(CodexProviderError.isInstance(result.error)).toBe(true);
          else expect(result.events.at(-1)?.type).toBe("result");
          expect(everything(result)).not.toContain(secret);
          expect(everything(result)).toContain(REDACTED);
        },
      ),
      { numRuns: 40 },
    );
  });
});

const hostile = (): Record<string, () => unknown> => ({
  "an Error with a throwing getter": () =>
    Object.defineProperty(new Error("reason"), "details", {
      get() {
        throw new Error("getter boom");
      },
      enumerable: true,
    }),
  "an object with a throwing getter": () => ({
    get message(): string {
      throw new Error("getter boom");
    },
  }),
  "a Proxy that throws on every trap": () =>
    throwingProxy(["get", "getPrototypeOf", "ownKeys", "getOwnPropertyDescriptor", "has"]),
  "a symbol": () => Symbol("reason"),
  "a revoked Proxy": () => {
    const { proxy, revoke } = Proxy.revocable(new Error("x"), {});
    revoke();
    return proxy;
  },
});

describe("attack: hostile abort reasons and stream failures settle typed", () => {
  const key = "plain-key-value-0001";
  for (const [name, make] of Object.entries(hostile())) {
    it(`abort before start with ${name}: CODEX_ABORTED-style typed error, nothing spawned`, async () => {
      const seen = { started: 0, returned: false };
      const controller = new AbortController();
      controller.abort(make());
      const provider = new CodexProvider({
        env: { CODEX_API_KEY: key },
        isDirectory: () => true,
        bootstrap: async () => fakeBoot(key),
        createClient: fakeClient(replay([]), seen),
      });
      const result = await drain(
        provider.run("go", { workingDirectory: "/repo", signal: controller.signal }),
      );
      expect(CodexProviderError.isInstance(result.error)).toBe(true);
      expect(seen.started).toBe(0);
      expect(() => everything(result)).not.toThrow();
    });

    it(`abort mid-turn with ${name}: one typed error, the stream returned`, async () => {
      const seen = { started: 0, returned: false };
      const controller = new AbortController();
      const provider = new CodexProvider({
        env: { CODEX_API_KEY: key },
        isDirectory: () => true,
        bootstrap: async () => fakeBoot(key),
        createClient: fakeClient(
          replayThenHang([{ type: "thread.started", thread_id: "t1" }, { type: "turn.started" }]),
          seen,
        ),
      });
      const events: ProviderEvent[] = [];
      let error: unknown;
      try {
        for await (const event of provider.run("go", {
          workingDirectory: "/repo",
          signal: controller.signal,
        })) {
          events.push(event);
          if (events.length === 1) controller.abort(make());
        }
      } catch (caught) {
        error = caught;
      }
      expect(CodexProviderError.isInstance(error)).toBe(true);
      expect(seen.returned).toBe(true);
      expect(events.filter((event) => event.type === "result")).toHaveLength(0);
    });

    it(`a stream that throws ${name}: one typed error`, async () => {
      const result = await run({
        env: { CODEX_API_KEY: key },
        bootstrap: async () => fakeBoot(key),
        createClient: fakeClient(replay([{ type: "thread.started", thread_id: "t1" }], make())),
      });
      expect(CodexProviderError.isInstance(result.error)).toBe(true);
      expect(() => everything(result)).not.toThrow();
    });
  }
});

const okEvents = [
  { type: "thread.started", thread_id: "t1" },
  { type: "turn.started" },
  { type: "item.completed", item: { id: "m1", type: "agent_message", text: "done" } },
  { type: "turn.completed", usage },
];

function okProvider(seen = { started: 0, returned: false }, script = replay(okEvents)) {
  return new CodexProvider({
    env: { CODEX_API_KEY: "plain-key-value-0001" },
    isDirectory: () => true,
    bootstrap: async () => fakeBoot("plain-key-value-0001"),
    createClient: fakeClient(script, seen),
  });
}

describe("attack: every way a run ends settles once", () => {
  it("property: n concurrent next() calls hand out each event once and exactly one result", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (n) => {
        const iterator = okProvider().run("go", { workingDirectory: "/repo" });
        const results = await Promise.all(Array.from({ length: n }, () => iterator.next()));
        const rest: IteratorResult<ProviderEvent, undefined>[] = [];
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next);
        const events = [...results, ...rest].filter((step) => !step.done).map((step) => step.value);
        expect(events.filter((event) => event?.type === "result")).toHaveLength(1);
        expect(events.at(-1)?.type).toBe("result");
        expect(await iterator.next()).toEqual({ done: true, value: undefined });
      }),
      { numRuns: 30 },
    );
  });

  it("return() racing the first next(): both settle, the stream is closed, later next() is done", async () => {
    const seen = { started: 0, returned: false };
    const iterator = okProvider(seen, replayThenHang([{ type: "thread.started", thread_id: "t1" }])).run(
      "go",
      {
        workingDirectory: "/repo",
      },
    );
    const first = iterator.next();
    const closed = iterator.return?.();
    await expect(Promise.allSettled([first, closed])).resolves.toHaveLength(2);
    expect((await closed)?.done).toBe(true);
    expect(seen.started === 0 || seen.returned).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
  });

  it("throw() on a hanging run settles done and closes the stream", async () => {
    const seen = { started: 0, returned: false };
    const iterator = okProvider(seen, replayThenHang([{ type: "thread.started", thread_id: "t1" }])).run(
      "go",
      {
        workingDirectory: "/repo",
      },
    );
    await iterator.next();
    const pending = iterator.next();
    const given = new Error("consumer gave up");
    // As an async generator suspended outside a try: the consumer's own error comes back.
    await expect(iterator.throw?.(given)).rejects.toBe(given);
    await pending.then(
      (step) => expect(step.done).toBe(true),
      (error) => expect(CodexProviderError.isInstance(error)).toBe(true),
    );
    expect(seen.returned).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("await using closes a hanging run at scope end", async () => {
    const seen = { started: 0, returned: false };
    {
      await using iterator = okProvider(
        seen,
        replayThenHang([{ type: "thread.started", thread_id: "t1" }]),
      ).run("go", { workingDirectory: "/repo" });
      await iterator.next();
    }
    expect(seen.returned).toBe(true);
  });

  it("a stream whose next() throws synchronously fails typed", async () => {
    const provider = new CodexProvider({
      env: { CODEX_API_KEY: "plain-key-value-0001" },
      isDirectory: () => true,
      bootstrap: async () => fakeBoot("plain-key-value-0001"),
      createClient: () => {
        const thread = () => ({
          runStreamed: async () => ({
            events: {
              next() {
                throw new Error("sync boom plain-key-value-0001");
              },
              return: async () => ({ done: true as const, value: undefined }),
              throw: async () => ({ done: true as const, value: undefined }),
              [Symbol.asyncIterator]() {
                return this;
              },
            } as unknown as AsyncGenerator<never>,
          }),
        });
        return { startThread: thread, resumeThread: thread };
      },
    });
    const result = await drain(provider.run("go", { workingDirectory: "/repo" }));
    expect(CodexProviderError.isInstance(result.error)).toBe(true);
    expect(everything(result)).not.toContain("plain-key-value-0001");
  });
});

describe("attack: secret length boundary", () => {
  it("a secret of exactly MIN_SECRET_LENGTH is redacted; one char shorter is documented as kept", async () => {
    const exact = `${"k".repeat(MIN_SECRET_LENGTH - 1)}Z`;
    const short = `${"q".repeat(MIN_SECRET_LENGTH - 2)}Z`;
    for (const [secret, redacted] of [
      [exact, true],
      [short, false],
    ] as const) {
      const result = await run({
        env: { ACME_KEY: secret },
        config: { model_providers: { acme: { env_key: "ACME_KEY" } } },
        bootstrap: async () => fakeBoot("bootstrap-key-0000"),
        createClient: fakeClient(replay(messageEvents(`x ${secret} y`))),
      });
      expect(result.events.at(-1)?.content).toBe(redacted ? `x ${REDACTED} y` : `x ${secret} y`);
    }
  });

  it("overlapping secrets leave no fragment of either", async () => {
    const a = "abcdefgh12345";
    const b = "12345zyxwvuts";
    const result = await run({
      env: { CODEX_API_KEY: a, OPENAI_API_KEY: b },
      bootstrap: async () => fakeBoot(a),
      createClient: fakeClient(replay(messageEvents("abcdefgh12345zyxwvuts"))),
    });
    expect(result.events.at(-1)?.content).toBe(REDACTED);
  });
});

function messageEvents(text: string): unknown[] {
  return [
    { type: "thread.started", thread_id: "t1" },
    { type: "item.completed", item: { id: "m1", type: "agent_message", text } },
    { type: "turn.completed", usage },
  ];
}

describe("attack: hostile options fail typed before anything spawns", () => {
  const throwing = () => throwingProxy(["get", "ownKeys", "getOwnPropertyDescriptor", "has"]);
  const getter = () => ({
    get workingDirectory(): string {
      throw new Error("getter boom");
    },
  });
  const values: [string, () => unknown][] = [
    ["a Proxy throwing on every trap", throwing],
    ["an object with a throwing getter", getter],
    ["env with a symbol value", () => ({ env: { A: Symbol("x") } })],
    ["env as a Proxy", () => ({ env: throwing() })],
    ["config as a Proxy", () => ({ config: throwing() })],
    [
      "config with a throwing getter",
      () => ({
        config: {
          get model(): string {
            throw new Error("boom");
          },
        },
      }),
    ],
  ];

  for (const [name, make] of values) {
    it(`constructor options: ${name} → CODEX_INVALID_CONFIG (or a run that settles typed)`, async () => {
      let error: unknown;
      let provider: CodexProvider | undefined;
      try {
        const options = make() as CodexProviderOptions;
        // A hostile object itself is given as is (spreading it would throw here, in the test).
        if (name === "a Proxy throwing on every trap" || name === "an object with a throwing getter") {
          provider = new CodexProvider(options);
        }
        provider = new CodexProvider({
          ...options,
          isDirectory: () => true,
          bootstrap: async () => fakeBoot("plain-key-value-0001"),
          createClient: fakeClient(replay(okEvents)),
        });
      } catch (caught) {
        error = caught;
      }
      if (provider === undefined) {
        expect(CodexProviderError.isInstance(error) && error.code).toBe("CODEX_INVALID_CONFIG");
        return;
      }
      // Accepted: the run then ends in a result or one typed error, never a raw one (`drain` rethrows those).
      const result = await drain(provider.run("go", { workingDirectory: "/repo" }));
      expect(result.error !== undefined || result.events.at(-1)?.type === "result").toBe(true);
    });

    it(`run options: ${name} → CODEX_INVALID_OPTIONS, nothing started`, async () => {
      const seen = { started: 0, returned: false };
      const provider = okProvider(seen);
      let error: unknown;
      try {
        await drain(provider.run("go", make() as never));
      } catch (caught) {
        error = caught;
      }
      const result = error === undefined ? undefined : error;
      if (result !== undefined) {
        expect(CodexProviderError.isInstance(result) && result.code).toBe("CODEX_INVALID_OPTIONS");
      }
      expect(seen.started).toBe(0);
    });
  }
});

describe("attack: structured output and seams", () => {
  const key = "plain-key-value-0001";

  it("a secret in structuredOutput values is redacted", async () => {
    const answer = JSON.stringify({ note: `v ${key}`, tags: [key] });
    const result = await drain(
      okProvider(undefined, replay(messageEvents(answer))).run("go", {
        workingDirectory: "/repo",
        outputSchema: {
          type: "object",
          properties: { note: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
          required: ["note", "tags"],
          additionalProperties: false,
        },
      }),
    );
    expect(result.error).toBeUndefined();
    const last = result.events.at(-1);
    expect(last?.type).toBe("result");
    expect(everything(result)).not.toContain(key);
  });

  const failingSeams: [string, Partial<CodexProviderOptions>][] = [
    [
      "isDirectory throws",
      {
        isDirectory: () => {
          throw new Error(`fs boom ${key}`);
        },
      },
    ],
    [
      "bootstrap rejects with a Proxy",
      {
        bootstrap: () => Promise.reject(hostile()["a Proxy that throws on every trap"]?.()),
      },
    ],
    [
      "createClient throws",
      {
        createClient: () => {
          throw new Error(`client boom ${key}`);
        },
      },
    ],
    [
      "startThread throws",
      {
        createClient: () => ({
          startThread: () => {
            throw new Error(`thread boom ${key}`);
          },
          resumeThread: () => {
            throw new Error(`thread boom ${key}`);
          },
        }),
      },
    ],
    [
      "runStreamed rejects with a revoked Proxy",
      {
        createClient: () => {
          const thread = () => ({ runStreamed: () => Promise.reject(hostile()["a revoked Proxy"]?.()) });
          return { startThread: thread, resumeThread: thread };
        },
      },
    ],
  ];
  for (const [name, seams] of failingSeams) {
    it(`${name}: one typed error with no secret`, async () => {
      const provider = new CodexProvider({
        env: { CODEX_API_KEY: key },
        isDirectory: () => true,
        bootstrap: async () => fakeBoot(key),
        ...seams,
      } as CodexProviderOptions);
      const result = await drain(provider.run("go", { workingDirectory: "/repo" }));
      expect(CodexProviderError.isInstance(result.error)).toBe(true);
      expect(result.events.filter((event) => event.type === "result")).toHaveLength(0);
      expect(everything(result)).not.toContain(key);
    });
  }
});

describe("attack: the redactor over arbitrary trees", () => {
  /** A JSON tree with `secret` planted in one random key or string, reached by `path`. */
  const planted = fc
    .tuple(
      secretArb,
      fc.jsonValue({ maxDepth: 4 }),
      fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 5 }),
      fc.boolean(),
    )
    .map(([secret, filler, path, asKey]) => {
      let tree: unknown = asKey ? { [`pre ${secret} post`]: filler } : `pre ${secret} post`;
      for (const step of path.reverse())
        tree = step.length % 2 === 0 ? [filler, tree] : { [step]: tree, f: filler };
      return { secret, tree };
    });

  it("property: deep, built and error remove a secret planted in any key or string", () => {
    fc.assert(
      fc.property(planted, ({ secret, tree }) => {
        const redactor = createRunRedactor([secret]);
        for (const out of [redactor.deep(tree), redactor.built(tree)]) {
          expect(JSON.stringify(out)).not.toContain(JSON.stringify(secret).slice(1, -1));
          expect(inspect(out, { depth: null })).not.toContain(secret);
        }
        const error = new CodexProviderError({
          code: "CODEX_INTERNAL_ERROR",
          message: "m",
          details: { tree, map: new Map([[secret, tree]]) } as Record<string, unknown>,
          cause: Object.assign(new Error("c"), { tree }),
        });
        const clean = redactor.error(error);
        expect(CodexProviderError.isInstance(clean) && clean.code).toBe("CODEX_INTERNAL_ERROR");
        expect(JSON.stringify(clean)).not.toContain(JSON.stringify(secret).slice(1, -1));
        expect(inspect(clean, { depth: null, showHidden: true })).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });

  it("property: a tree without the secret comes back as the same reference", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (tree) => {
        const redactor = createRunRedactor(["\u0000never-in-json-\u0001"]);
        expect(redactor.deep(tree)).toBe(tree);
        expect(redactor.built(tree)).toBe(tree);
      }),
    );
  });
});

describe("attack: concurrent consumers of a failing run", () => {
  it("property: n concurrent next() calls on a failing run reject exactly once, typed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.boolean(), async (n, streamThrows) => {
        const events = [
          { type: "thread.started", thread_id: "t1" },
          { type: "turn.failed", error: { message: "unexpected status 500 Internal Server Error" } },
        ];
        const script = streamThrows
          ? replay(events.slice(0, 1), new Error("Codex Exec exited with code 1: boom"))
          : replay(events);
        const iterator = okProvider(undefined, script).run("go", { workingDirectory: "/repo" });
        const settled = await Promise.allSettled(Array.from({ length: n + 3 }, () => iterator.next()));
        const rejected = settled.filter((outcome) => outcome.status === "rejected");
        expect(rejected).toHaveLength(1);
        expect(CodexProviderError.isInstance((rejected[0] as PromiseRejectedResult).reason)).toBe(true);
        const values = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
        expect(values.filter((step) => !step.done && step.value.type === "result")).toHaveLength(0);
        expect(await iterator.next()).toEqual({ done: true, value: undefined });
      }),
      { numRuns: 30 },
    );
  });
});

describe("attack: a typed bootstrap error with an unreadable cause", () => {
  it("settles as the same typed error (code and message kept), its unreadable cause left out", async () => {
    const cause = hostile()["an Error with a throwing getter"]?.();
    const result = await run({
      env: {},
      bootstrap: async () => {
        throw new CodexProviderError({ code: "CODEX_AUTH_ERROR", message: "no key", cause });
      },
    });
    expect(result.error?.code).toBe("CODEX_AUTH_ERROR");
    expect(result.error?.message).toBe("no key");
    expect(() => everything(result)).not.toThrow();
  });
});

describe("attack: encodings and sizes", () => {
  const key = "plain-key-välue-0001+/=?";
  it("a secret URL-encoded, JSON-escaped and base64'd, and one at the end of a 4 MB message, are all removed", async () => {
    const encoded = [
      encodeURIComponent(key),
      JSON.stringify(key).slice(1, -1),
      Buffer.from(key).toString("base64"),
      Buffer.from(key).toString("base64").replace(/=+$/, ""),
    ];
    const huge = `${"a".repeat(4 * 1024 * 1024)} ${key}`;
    const result = await run({
      env: { CODEX_API_KEY: key },
      bootstrap: async () => fakeBoot(key),
      createClient: fakeClient(
        replay([
          { type: "thread.started", thread_id: "t1" },
          { type: "item.completed", item: { id: "m0", type: "agent_message", text: encoded.join(" | ") } },
          { type: "item.completed", item: { id: "m1", type: "agent_message", text: huge } },
          { type: "turn.completed", usage },
        ]),
      ),
    });
    expect(result.events.at(-1)?.content.endsWith(` ${REDACTED}`)).toBe(true);
    const text = result.events.map((event) => event.content).join("\n");
    for (const form of [key, ...encoded]) expect(text).not.toContain(form);
  });

  it("an env value with surrounding whitespace is redacted by its trimmed value", async () => {
    const result = await run({
      env: { CODEX_API_KEY: `  ${"trimmed-secret-0003"}\n` },
      bootstrap: async () => fakeBoot("bootstrap-key-0000"),
      createClient: fakeClient(replay(messageEvents("see trimmed-secret-0003 here"))),
    });
    expect(result.events.at(-1)?.content).toBe(`see ${REDACTED} here`);
  });
});
