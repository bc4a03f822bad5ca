import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import zlib from "node:zlib";
import {
  type Fault,
  failedEvent,
  type HttpAnswer,
  httpFaultAnswer,
  incompleteEvent,
  isFault,
  jsonError,
  MALFORMED_FRAMES,
} from "./faults.js";
import { describeBody, type RecordedRequest } from "./request.js";
import {
  createdEvent,
  createIdSource,
  DEFAULT_TURN,
  frameSse,
  itemEvents,
  type OutputItem,
  resolveUsage,
  responseEvents,
  type SseEvent,
  selectStep,
  type Turn,
  type UsageFigures,
} from "./script.js";
import type { ScriptSelector } from "./selector.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Loopback address to bind; anything else throws a `TypeError`. Default `127.0.0.1`. */
  host?: "127.0.0.1" | "::1" | "localhost";
  /** TCP port; default 0 (a free port). */
  port?: number;
  /** Status answering codex's websocket upgrade probe (`GET <base>/responses`): 426 falls back to HTTP at once,
   * 404 walks the binary's non-fatal `Reconnecting... N/5` path first. Default 426. */
  websocketProbe?: 426 | 404;
  /** The turn to play for every request, or a selector choosing one per request. Default: one assistant
   * message "Hello from the Codex emulator.". */
  script?: Turn | ScriptSelector;
  /** Usage figures of every response, over the built-in defaults; a step's own `usage` wins. */
  usage?: Partial<UsageFigures>;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL of the emulated API including `/v1`, e.g. `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  /** Every request received (websocket probes included), in arrival order; a live array. */
  requests: RecordedRequest[];
  /** Replaces the script for requests that arrive from now on. */
  setScript(script: Turn | ScriptSelector): void;
  /** Forgets the recorded requests (empties {@link Emulator.requests} in place). */
  reset(): void;
  /** Stops listening and destroys every connection, hanging and silent streams included. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "::1", "localhost"];
const BASE_PATH = "/v1";
/** Lets already-written bytes reach the client before a reset discards whatever is still queued. */
const RESET_FLUSH_MS = 50;

/** Message of the 500 answered when the script selector returns no turn. */
export const NO_SCRIPT_MESSAGE = "no script for request";

function validateOptions(options: EmulatorOptions): void {
  if (options.host !== undefined && !LOOPBACK_HOSTS.includes(options.host)) {
    throw new TypeError(
      `host must be a loopback address (${LOOPBACK_HOSTS.join(", ")}); got ${JSON.stringify(options.host)}`,
    );
  }
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new TypeError(`port must be an integer from 0 to 65535; got ${String(port)}`);
  }
  if (
    options.websocketProbe !== undefined &&
    options.websocketProbe !== 426 &&
    options.websocketProbe !== 404
  ) {
    throw new TypeError(`websocketProbe must be 426 or 404; got ${String(options.websocketProbe)}`);
  }
  if (options.script !== undefined) validateScript(options.script);
}

function validateScript(script: Turn | ScriptSelector): void {
  if (typeof script === "function") return;
  if (!Array.isArray(script?.steps) || script.steps.length === 0) {
    throw new TypeError("script must be a selector function or a turn with at least one step");
  }
}

/** Starts a loopback Responses API emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  validateOptions(options);
  const host = options.host ?? "127.0.0.1";
  const probeStatus = options.websocketProbe ?? 426;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const ids = createIdSource();
  let script: Turn | ScriptSelector = options.script ?? DEFAULT_TURN;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      if (!res.headersSent) send(res, jsonError(500, `emulator failure: ${String(error)}`));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseBody(await readBody(req), req.headers["content-encoding"]);
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: { ...req.headers },
      body,
      ...describeBody(body),
    };
    requests.push(record);
    const pathname = record.path.split("?")[0];
    if (pathname !== `${BASE_PATH}/responses`) {
      send(res, jsonError(404, `unknown path ${pathname}`, "invalid_request_error"));
      return;
    }
    if (record.method === "GET") {
      send(
        res,
        jsonError(probeStatus, `websocket upgrade answered with ${probeStatus} by the Codex emulator`),
      );
      return;
    }
    if (record.method !== "POST") {
      send(res, jsonError(405, `method ${record.method} not allowed`, "invalid_request_error"));
      return;
    }
    const turn = typeof script === "function" ? script(record) : script;
    if (turn === undefined) {
      send(res, jsonError(500, NO_SCRIPT_MESSAGE));
      return;
    }
    const step = selectStep(turn, record.toolOutputs);
    if (step === undefined) {
      send(res, jsonError(500, "scripted turn has no steps"));
      return;
    }
    const model = modelOf(body);
    if (!isFault(step)) {
      const usage = resolveUsage(options.usage, step.usage);
      await stream(res, responseEvents(step.items, usage, ids, model), step.delayMs ?? 0);
      res.end();
      return;
    }
    await playFault(res, step, model);
  }

  async function playFault(res: ServerResponse, fault: Fault, model: string | undefined): Promise<void> {
    const answer = httpFaultAnswer(fault);
    if (answer !== undefined) {
      send(res, answer);
      return;
    }
    const responseId = ids("resp");
    const created = createdEvent(responseId, model);
    const partial = (items: OutputItem[] = []) => [created, ...itemEvents(items, ids)];
    switch (fault.fault) {
      case "reset":
        await stream(res, partial(fault.items), 0);
        await sleep(RESET_FLUSH_MS, undefined, { signal: closing.signal });
        res.socket?.resetAndDestroy();
        return;
      case "eof":
        await stream(res, partial(fault.items), 0);
        res.end();
        return;
      case "response_failed":
        await stream(res, [created, failedEvent(responseId, model, fault.code, fault.message)], 0);
        res.end();
        return;
      case "incomplete":
        await stream(res, [created, incompleteEvent(responseId, model, fault.reason)], 0);
        res.end();
        return;
      case "malformed": {
        const usage = resolveUsage(options.usage);
        const [first, ...rest] = responseEvents(fault.items ?? [], usage, ids, model);
        openSse(res);
        res.write(frameSse(first as SseEvent));
        for (const frame of MALFORMED_FRAMES) res.write(frame);
        await stream(res, rest, 0);
        res.end();
        return;
      }
      case "silence":
        openSse(res);
        return;
      case "hang":
        return;
      default:
        // http and insufficient_quota were answered above.
        return;
    }
  }

  async function stream(res: ServerResponse, events: SseEvent[], delayMs: number): Promise<void> {
    openSse(res);
    for (const [index, event] of events.entries()) {
      if (index > 0 && delayMs > 0) await sleep(delayMs, undefined, { signal: closing.signal });
      if (res.destroyed) return;
      res.write(frameSse(event));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "::1" ? "[::1]" : host;

  let closed: Promise<void> | undefined;
  return {
    baseUrl: `http://${urlHost}:${port}${BASE_PATH}`,
    requests,
    setScript(next) {
      validateScript(next);
      script = next;
    },
    reset() {
      requests.length = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        // Destroys idle, streaming, silent and hanging connections alike.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function modelOf(body: unknown): string | undefined {
  const model = typeof body === "object" && body !== null ? (body as { model?: unknown }).model : undefined;
  return typeof model === "string" ? model : undefined;
}

function openSse(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  // An explicit length keeps the body unchunked: codex's websocket client quotes a 404 probe's raw body.
  res.writeHead(answer.status, {
    "content-length": String(Buffer.byteLength(answer.body)),
    ...answer.headers,
  });
  res.end(answer.body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case "":
    case "identity":
      return raw;
    case "gzip":
      return zlib.gunzipSync(raw);
    case "deflate":
      return zlib.inflateSync(raw);
    case "br":
      return zlib.brotliDecompressSync(raw);
    case "zstd":
      return zlib.zstdDecompressSync(raw);
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

/** Parses a request body as JSON after undoing its content-encoding; `undefined` when empty or unparseable. */
function parseBody(raw: Buffer, encoding: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(decode(raw, encoding).toString("utf8"));
  } catch {
    return undefined;
  }
}
