import { request as httpRequest } from "node:http";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, type EmulatorOptions, NO_SCRIPT_MESSAGE, startEmulator } from "./emulator.js";
import { INSUFFICIENT_QUOTA_BODY } from "./faults.js";
import { DEFAULT_MESSAGE, type Turn } from "./script.js";
import { byMarker } from "./selector.js";

const open: Emulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((emulator) => emulator.close()));
});

async function start(options?: EmulatorOptions): Promise<Emulator> {
  const emulator = await startEmulator(options);
  open.push(emulator);
  return emulator;
}

interface Frame {
  event: string | undefined;
  data: string;
}

function parseSse(text: string): Frame[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      return {
        event: lines.find((line) => line.startsWith("event: "))?.slice("event: ".length),
        data: lines
          .filter((line) => line.startsWith("data: "))
          .map((line) => line.slice("data: ".length))
          .join("\n"),
      };
    });
}

function jsonFrames(text: string): Record<string, unknown>[] {
  return parseSse(text).flatMap((frame) => {
    try {
      return [JSON.parse(frame.data) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

function userMessage(text: string) {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

function requestBody(prompt: string, toolOutputs = 0) {
  const outputs = Array.from({ length: toolOutputs }, (_, index) =>
    index % 2 === 0
      ? { type: "function_call_output", call_id: `c${index}`, output: "ok" }
      : { type: "custom_tool_call_output", call_id: `c${index}`, output: "ok" },
  );
  return { model: "gpt-5.5", stream: true, input: [userMessage(prompt), ...outputs] };
}

function post(emulator: Emulator, body: unknown = requestBody("hi"), init: RequestInit = {}) {
  return fetch(`${emulator.baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
    body: JSON.stringify(body),
    ...init,
  });
}

function itemsOf(text: string): unknown[] {
  return jsonFrames(text)
    .filter((data) => data.type === "response.output_item.done")
    .map((data) => data.item);
}

function probe(emulator: Emulator): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${emulator.baseUrl}/responses`, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("upgrade", () => reject(new Error("unexpected upgrade")));
    req.on("error", reject);
    req.end();
  });
}

describe("startEmulator", () => {
  it("streams the default turn as event:/data: frames with items and usage", async () => {
    const emulator = await start();
    expect(emulator.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await post(emulator);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const frames = parseSse(await res.text());
    expect(frames.map((frame) => frame.event)).toEqual([
      "response.created",
      "response.output_item.done",
      "response.completed",
    ]);
    const [created, item, completed] = frames.map((frame) => JSON.parse(frame.data));
    expect(frames.every((frame) => JSON.parse(frame.data).type === frame.event)).toBe(true);
    expect(item.item).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: DEFAULT_MESSAGE }],
    });
    expect(completed.response.id).toBe(created.response.id);
    expect(completed.response.usage).toEqual({
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 20 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 10 },
      total_tokens: 150,
    });
  });

  it("gives every response and item a fresh id", async () => {
    const emulator = await start();
    const ids = new Set<unknown>();
    for (let run = 0; run < 2; run += 1) {
      const frames = jsonFrames(await (await post(emulator)).text());
      ids.add((frames[0]?.response as { id?: unknown } | undefined)?.id);
      ids.add((frames[1]?.item as { id?: unknown } | undefined)?.id);
    }
    expect(ids.size).toBe(4);
  });

  it("answers the websocket probe with 426 by default and 404 when asked", async () => {
    const default426 = await start();
    expect(await probe(default426)).toBe(426);
    expect(default426.requests.map((recorded) => recorded.method)).toEqual(["GET"]);
    expect(default426.requests[0]?.headers.upgrade).toBe("websocket");
    const answer404 = await start({ websocketProbe: 404 });
    expect(await probe(answer404)).toBe(404);
  });

  it("answers the step matching the tool-output count, clamped to the last step", async () => {
    const message = (text: string) => ({ items: [{ type: "message" as const, text }] });
    const emulator = await start({ script: { steps: [message("zero"), message("one"), message("two")] } });
    const texts = [];
    for (const outputs of [0, 1, 2, 7]) {
      const [item] = itemsOf(await (await post(emulator, requestBody("go", outputs))).text());
      texts.push((item as { content: { text: string }[] }).content[0]?.text);
    }
    expect(texts).toEqual(["zero", "one", "two", "two"]);
    expect(emulator.requests.map((recorded) => recorded.toolOutputs)).toEqual([0, 1, 2, 7]);
  });

  it("serves concurrent runs by marker and answers 500 when no turn matches", async () => {
    const turn = (text: string): Turn => ({ steps: [{ items: [{ type: "message", text }], delayMs: 20 }] });
    const emulator = await start({ script: byMarker({ "[run-a]": turn("A"), "[run-b]": turn("B") }) });
    const [a, b, none] = await Promise.all([
      post(emulator, requestBody("do it [run-a]")),
      post(emulator, requestBody("[run-b] do it")),
      post(emulator, requestBody("no marker")),
    ]);
    expect(JSON.stringify(itemsOf(await (a as Response).text()))).toContain('"text":"A"');
    expect(JSON.stringify(itemsOf(await (b as Response).text()))).toContain('"text":"B"');
    expect(none?.status).toBe(500);
    expect(await none?.json()).toMatchObject({ error: { message: NO_SCRIPT_MESSAGE } });
  });

  it("spaces events by delayMs", async () => {
    const emulator = await start({
      script: {
        steps: [
          {
            items: [
              { type: "message", text: "a" },
              { type: "message", text: "b" },
            ],
            delayMs: 60,
          },
        ],
      },
    });
    const started = performance.now();
    const text = await (await post(emulator)).text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(170);
    expect(itemsOf(text)).toHaveLength(2);
  });

  it("layers usage: step over options over defaults", async () => {
    const emulator = await start({
      usage: { inputTokens: 1000, outputTokens: 7 },
      script: { steps: [{ items: [], usage: { outputTokens: 9 } }] },
    });
    const completed = jsonFrames(await (await post(emulator)).text()).at(-1);
    expect((completed?.response as { usage?: unknown } | undefined)?.usage).toEqual({
      input_tokens: 1000,
      input_tokens_details: { cached_tokens: 20 },
      output_tokens: 9,
      output_tokens_details: { reasoning_tokens: 10 },
      total_tokens: 1009,
    });
  });

  it("records method, path, headers, parsed (also gzip-encoded) bodies, tool outputs and prompt", async () => {
    const emulator = await start();
    await (await post(emulator, requestBody("first prompt", 2))).text();
    const body = requestBody("zipped prompt");
    await (
      await fetch(`${emulator.baseUrl}/responses?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: gzipSync(JSON.stringify(body)),
      })
    ).text();
    const [first, second] = emulator.requests;
    expect(first).toMatchObject({
      method: "POST",
      path: "/v1/responses",
      body: requestBody("first prompt", 2),
      toolOutputs: 2,
      prompt: "first prompt",
    });
    expect(first?.headers.authorization).toBe("Bearer sk-test");
    expect(second).toMatchObject({
      path: "/v1/responses?x=1",
      body,
      prompt: "zipped prompt",
      toolOutputs: 0,
    });
  });

  it("answers unknown paths 404 and other methods 405", async () => {
    const emulator = await start();
    expect((await fetch(`${emulator.baseUrl}/models`)).status).toBe(404);
    expect((await fetch(`${emulator.baseUrl}/responses`, { method: "DELETE" })).status).toBe(405);
    expect(emulator.requests.map((recorded) => recorded.path)).toEqual(["/v1/models", "/v1/responses"]);
  });

  it("swaps scripts and forgets requests", async () => {
    const emulator = await start();
    const before = emulator.requests;
    await (await post(emulator)).text();
    emulator.reset();
    expect(before).toHaveLength(0);
    emulator.setScript({ steps: [{ fault: "http", status: 418 }] });
    expect((await post(emulator)).status).toBe(418);
    expect(() => emulator.setScript({ steps: [] })).toThrow(TypeError);
  });
});

describe("faults on the wire", () => {
  const withFault = (fault: Turn["steps"][number]) => start({ script: { steps: [fault] } });

  it("http: status, JSON body and headers", async () => {
    const emulator = await withFault({
      fault: "http",
      status: 401,
      body: { error: { message: "bad key" } },
      headers: { "x-request-id": "req_1" },
    });
    const res = await post(emulator);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-request-id")).toBe("req_1");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ error: { message: "bad key" } });
  });

  it("http: a string body is sent verbatim and a missing body becomes an OpenAI error", async () => {
    const text = await post(await withFault({ fault: "http", status: 503, body: "down for lunch" }));
    expect([text.status, text.headers.get("content-type"), await text.text()]).toEqual([
      503,
      "text/plain",
      "down for lunch",
    ]);
    const empty = await post(await withFault({ fault: "http", status: 500 }));
    expect(await empty.json()).toMatchObject({
      error: { message: "Emulated HTTP 500 from the Codex emulator." },
    });
  });

  it("insufficient_quota: 429 with the OpenAI body", async () => {
    const res = await post(await withFault({ fault: "insufficient_quota" }));
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual(INSUFFICIENT_QUOTA_BODY);
  });

  it("reset: sends the items, then destroys the socket mid-stream", async () => {
    const emulator = await withFault({ fault: "reset", items: [{ type: "message", text: "partial" }] });
    const res = await post(emulator);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    const failure = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          received += Buffer.from(value).toString("utf8");
        }
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(Error);
    expect(received).toContain('"text":"partial"');
    expect(received).not.toContain("response.completed");
  });

  it("eof: ends the body cleanly without response.completed", async () => {
    const emulator = await withFault({ fault: "eof", items: [{ type: "reasoning", text: "hmm" }] });
    const events = jsonFrames(await (await post(emulator)).text()).map((data) => data.type);
    expect(events).toEqual(["response.created", "response.output_item.done"]);
  });

  it("response_failed: carries the code and message (context_length_exceeded by default text)", async () => {
    const custom = jsonFrames(
      await (await post(await withFault({ fault: "response_failed", code: "x", message: "y" }))).text(),
    );
    expect(custom.at(-1)).toMatchObject({
      type: "response.failed",
      response: { status: "failed", error: { code: "x", message: "y" } },
    });
    const overflow = jsonFrames(
      await (
        await post(await withFault({ fault: "response_failed", code: "context_length_exceeded" }))
      ).text(),
    );
    expect(overflow.at(-1)).toMatchObject({
      response: {
        error: { code: "context_length_exceeded", message: expect.stringContaining("context window") },
      },
    });
  });

  it("incomplete: response.incomplete with max_output_tokens by default", async () => {
    const frames = jsonFrames(await (await post(await withFault({ fault: "incomplete" }))).text());
    expect(frames.at(-1)).toMatchObject({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    });
  });

  it("malformed: garbage data lines, then a normal completion", async () => {
    const text = await (
      await post(await withFault({ fault: "malformed", items: [{ type: "message", text: "still here" }] }))
    ).text();
    const frames = parseSse(text);
    const unparseable = frames.filter((frame) => {
      try {
        JSON.parse(frame.data);
        return false;
      } catch {
        return true;
      }
    });
    expect(unparseable.length).toBeGreaterThanOrEqual(2);
    expect(jsonFrames(text).map((data) => data.type)).toEqual([
      "response.created",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("silence: sends 200 headers, then nothing until close() ends the body", async () => {
    const emulator = await withFault({ fault: "silence" });
    const res = await post(emulator);
    expect(res.status).toBe(200);
    const body = res.text();
    const pending = await Promise.race([
      body.then(
        () => "ended",
        () => "ended",
      ),
      sleep(150, "pending"),
    ]);
    expect(pending).toBe("pending");
    const started = performance.now();
    await emulator.close();
    await expect(body).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("hang: never answers; close() releases the request quickly", async () => {
    const emulator = await withFault({ fault: "hang" });
    const res = post(emulator);
    const pending = await Promise.race([
      res.then(
        () => "answered",
        () => "failed",
      ),
      sleep(150, "pending"),
    ]);
    expect(pending).toBe("pending");
    const started = performance.now();
    await emulator.close();
    await expect(res).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("lifecycle and validation", () => {
  it("accepts only loopback hosts", async () => {
    for (const host of ["0.0.0.0", "192.168.1.1", "example.com", ""]) {
      await expect(startEmulator({ host: host as EmulatorOptions["host"] })).rejects.toThrow(TypeError);
    }
    const v6 = await start({ host: "::1" });
    expect(v6.baseUrl).toMatch(/^http:\/\/\[::1\]:\d+\/v1$/);
    expect((await post(v6)).status).toBe(200);
    const local = await start({ host: "localhost" });
    expect(local.baseUrl).toMatch(/^http:\/\/localhost:\d+\/v1$/);
    expect((await post(local)).status).toBe(200);
  });

  it("rejects bad ports, probe statuses and empty scripts", async () => {
    await expect(startEmulator({ port: -1 })).rejects.toThrow(TypeError);
    await expect(startEmulator({ port: 1.5 })).rejects.toThrow(TypeError);
    await expect(startEmulator({ websocketProbe: 400 as 404 })).rejects.toThrow(TypeError);
    await expect(startEmulator({ script: { steps: [] } })).rejects.toThrow(TypeError);
  });

  it("close() frees the port, ends keep-alive sockets and is idempotent", async () => {
    const emulator = await startEmulator();
    await (await post(emulator)).text();
    const started = performance.now();
    await Promise.all([emulator.close(), emulator.close()]);
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(post(emulator)).rejects.toThrow();
  });

  it("close() resolves quickly with a slow stream in flight", async () => {
    const emulator = await startEmulator({
      script: {
        steps: [
          {
            items: [
              { type: "message", text: "a" },
              { type: "message", text: "b" },
            ],
            delayMs: 60_000,
          },
        ],
      },
    });
    const res = await post(emulator);
    const body = res.text();
    const started = performance.now();
    await emulator.close();
    await expect(body).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value));
}
