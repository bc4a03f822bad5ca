import { CodexProviderError } from "./core.js";

/**
 * A JSON-RPC client for `codex app-server`: one JSON object per line, no `"jsonrpc"` field. Pure: it talks to a
 * transport seam, so tests drive it with arrays of lines. Every request settles exactly once: with its response,
 * its timeout, or the end of the transport.
 */

/** How the transport ended (structurally `AppServerExit`). */
export interface TransportClose {
  /** Exit code of the process; `null` when killed or never started. */
  exitCode: number | null;
  /** Terminating signal, if any. */
  signal: string | null;
  /** Why the process could not start, if it never ran. */
  spawnError?: string;
}

/** The line transport the client runs on (an `AppServerProcess` is one). */
export interface JsonRpcTransport {
  /** Sends one line (without its newline). */
  writeLine(line: string): void;
  /** Subscribes to received lines. */
  onLine(listener: (line: string) => void): void;
  /** Subscribes to the end of the transport (called once). */
  onClose(listener: (close: TransportClose) => void): void;
}

/** A request id: the client uses integers, the server may use either. */
export type JsonRpcId = number | string;

/** A JSON-RPC error object. */
export interface JsonRpcErrorObject {
  /** Numeric error code (e.g. -32600 invalid request, -32601 method not found). */
  code: number;
  /** Human-readable message. */
  message: string;
  /** Extra data, if any. */
  data?: unknown;
}

/** A request the server sent to the client (approvals): answer it exactly once with `reply` or `replyError`. */
export interface ServerRequest {
  /** The server's id for this request (its own id space, starting at 0). */
  id: JsonRpcId;
  /** e.g. `item/commandExecution/requestApproval`. */
  method: string;
  /** The raw params; validate before use (wire.ts). */
  params: unknown;
  /** Sends the result; false when already answered or the transport is closed. */
  reply(result: unknown): boolean;
  /** Sends an error; false when already answered or the transport is closed. */
  replyError(error: JsonRpcErrorObject): boolean;
}

/** Options of {@link createJsonRpcClient}. */
export interface JsonRpcClientOptions {
  /** The line transport. */
  transport: JsonRpcTransport;
  /** Time a request may wait for its response unless it sets its own. Default 30 s. */
  defaultTimeoutMs?: number;
  /** Receives every notification, in arrival order. */
  onNotification?: (method: string, params: unknown) => void;
  /**
   * Receives every server→client request. Without a handler the client answers -32601 at once; a handler that
   * throws gets -32603, so the server never waits on a request nobody will answer.
   */
  onServerRequest?: (request: ServerRequest) => void;
}

/** Counters of what the client tolerated. */
export interface JsonRpcStats {
  /** Lines that were not a JSON object of a known shape. */
  garbageLines: number;
  /** Responses whose id matched no pending request (late after a timeout, duplicated, unknown). */
  unmatchedResponses: number;
  /** Notification or server-request handlers that threw. */
  handlerErrors: number;
  /** The last garbage line, cut to 200 characters (raw: redact before showing). */
  lastGarbage?: string;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides the default timeout (ms); `0` waits until the response or the end of the transport. */
  timeoutMs?: number;
}

/** The client. */
export interface JsonRpcClient {
  /** Sends a request; resolves with its `result`, rejects with a `CodexProviderError`. */
  request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown>;
  /** Sends a notification (no answer). Ignored once closed. */
  notify(method: string, params?: unknown): void;
  /** Ends the client: every pending request fails with `CODEX_TRANSPORT_ERROR`. Idempotent. */
  close(reason?: string): void;
  /** True once the transport ended or `close` was called. */
  readonly closed: boolean;
  /** Requests still waiting for an answer. */
  readonly pendingCount: number;
  /** What the client tolerated so far. */
  readonly stats: Readonly<JsonRpcStats>;
}

/** Default time a request waits for its response. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const METHOD_NOT_FOUND = -32601;
const INTERNAL_ERROR = -32603;

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: CodexProviderError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isId = (value: unknown): value is JsonRpcId =>
  (typeof value === "number" && Number.isFinite(value)) || typeof value === "string";

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The error every pending and later request gets once the transport is gone. */
function closedError(method: string, close: TransportClose | undefined, reason: string | undefined) {
  const how = close?.spawnError
    ? `could not start (${close.spawnError})`
    : close
      ? `exited (${close.signal ? `signal ${close.signal}` : `code ${close.exitCode}`})`
      : `was closed${reason ? ` (${reason})` : ""}`;
  return new CodexProviderError({
    code: "CODEX_TRANSPORT_ERROR",
    message: `codex app-server ${how} before answering ${method}.`,
    details: {
      failureCode: close ? "app_server_exited" : "app_server_closed",
      rpcMethod: method,
      ...(close?.exitCode != null ? { exitCode: close.exitCode } : {}),
      ...(close?.signal ? { signal: close.signal } : {}),
      ...(close?.spawnError ? { spawnError: close.spawnError } : {}),
    },
  });
}

/** An escaped UTF-16 surrogate in JSON text (a lone one: `JSON.stringify` writes a pair as is); may be `\\ud800`. */
const SURROGATE_ESCAPE = /\\ud[89a-f]/;

/**
 * `JSON.stringify` with every string well-formed: a lone surrogate becomes U+FFFD, as Node's UTF-8 encoding makes it
 * on exec's argv and stdin. `JSON.stringify` escapes it instead (`\ud800`), which codex's JSON parser refuses: it
 * drops the line and never answers the request.
 */
function toJsonLine(message: unknown): string {
  const line = JSON.stringify(message);
  if (!SURROGATE_ESCAPE.test(line)) return line;
  return JSON.stringify(message, (_key, value: unknown) =>
    typeof value === "string" ? toWellFormed(value) : wellFormedKeys(value),
  );
}

/** A lone UTF-16 surrogate (one not part of a pair). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every lone surrogate replaced by U+FFFD: `String.prototype.toWellFormed`, outside the ES2022 lib. */
function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\uFFFD");
}

/** A plain object whose keys hold a lone surrogate, copied with well-formed keys; any other value as it is. */
function wellFormedKeys(value: unknown): unknown {
  if (
    !isRecord(value) ||
    Array.isArray(value) ||
    Object.keys(value).every((key) => toWellFormed(key) === key)
  ) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [toWellFormed(key), entry]));
}

/** Creates a client on a transport. */
export function createJsonRpcClient(options: JsonRpcClientOptions): JsonRpcClient {
  const { transport } = options;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const pending = new Map<JsonRpcId, Pending>();
  const stats: JsonRpcStats = { garbageLines: 0, unmatchedResponses: 0, handlerErrors: 0 };
  let nextId = 1;
  let closed = false;
  let closeInfo: TransportClose | undefined;
  let closeReason: string | undefined;

  // A transport that cannot write is a dead transport.
  const write = (line: string) => {
    if (closed) return;
    try {
      transport.writeLine(line);
    } catch (cause) {
      end(undefined, `write failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
  };

  const settle = (id: JsonRpcId): Pending | undefined => {
    const entry = pending.get(id);
    if (!entry) return undefined;
    pending.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    return entry;
  };

  const end = (close: TransportClose | undefined, reason?: string) => {
    if (closed) return;
    closed = true;
    closeInfo = close;
    closeReason = reason;
    for (const id of [...pending.keys()]) {
      const entry = settle(id) as Pending;
      entry.reject(closedError(entry.method, closeInfo, closeReason));
    }
  };

  const guard = (run: () => void): boolean => {
    try {
      run();
      return true;
    } catch {
      stats.handlerErrors += 1;
      return false;
    }
  };

  const garbage = (line: string) => {
    stats.garbageLines += 1;
    stats.lastGarbage = cut(line, 200);
  };

  const onServerRequest = (id: JsonRpcId, method: string, params: unknown) => {
    let answered = false;
    const answer = (message: Record<string, unknown>) => {
      if (answered || closed) return false;
      answered = true;
      let line: string;
      try {
        line = toJsonLine({ id, ...message });
      } catch {
        line = JSON.stringify({ id, error: { code: INTERNAL_ERROR, message: "client reply is not JSON" } });
      }
      write(line);
      return true;
    };
    const request: ServerRequest = {
      id,
      method,
      params,
      reply: (result) => answer({ result: result ?? null }),
      replyError: (error) => answer({ error }),
    };
    const handler = options.onServerRequest;
    if (!handler) {
      request.replyError({ code: METHOD_NOT_FOUND, message: `client does not handle ${method}` });
      return;
    }
    if (!guard(() => handler(request))) {
      request.replyError({ code: INTERNAL_ERROR, message: `client failed to handle ${method}` });
    }
  };

  const onResponse = (id: JsonRpcId, message: Record<string, unknown>) => {
    const entry = settle(id);
    if (!entry) {
      stats.unmatchedResponses += 1;
      return;
    }
    if (!("error" in message)) {
      entry.resolve(message.result);
      return;
    }
    const error = isRecord(message.error) ? message.error : {};
    const rpcCode = typeof error.code === "number" ? error.code : undefined;
    const text = typeof error.message === "string" ? error.message : "no message";
    entry.reject(
      new CodexProviderError({
        code: "CODEX_INTERNAL_ERROR",
        message: `codex app-server refused ${entry.method}: ${cut(text, 300)}`,
        retryable: false,
        details: {
          failureCode: "rpc_error",
          rpcMethod: entry.method,
          rpcCode,
          upstreamMessage: cut(text, 2000),
        },
      }),
    );
  };

  transport.onLine((line) => {
    if (closed || line.trim() === "") return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      garbage(line);
      return;
    }
    if (!isRecord(message)) {
      garbage(line);
    } else if (typeof message.method === "string" && isId(message.id)) {
      onServerRequest(message.id, message.method, message.params);
    } else if (typeof message.method === "string" && !("id" in message)) {
      const { method, params } = message;
      const handler = options.onNotification;
      if (handler) guard(() => handler(method, params));
    } else if (isId(message.id) && ("result" in message || "error" in message)) {
      onResponse(message.id, message);
    } else {
      garbage(line);
    }
  });
  transport.onClose((close) => end(close));

  return {
    request(method, params, requestOptions = {}) {
      if (closed) return Promise.reject(closedError(method, closeInfo, closeReason));
      const id = nextId++;
      let line: string;
      try {
        line = toJsonLine(params === undefined ? { id, method } : { id, method, params });
      } catch (cause) {
        return Promise.reject(
          new CodexProviderError({
            code: "CODEX_INVALID_OPTIONS",
            message: `The params of ${method} cannot be serialized to JSON.`,
            details: { rpcMethod: method },
            cause,
          }),
        );
      }
      const timeoutMs = requestOptions.timeoutMs ?? defaultTimeoutMs;
      return new Promise((resolve, reject) => {
        const entry: Pending = { method, resolve, reject, timer: undefined };
        if (timeoutMs > 0) {
          entry.timer = setTimeout(() => {
            settle(id);
            reject(
              new CodexProviderError({
                code: "CODEX_TIMEOUT",
                message: `codex app-server did not answer ${method} within ${timeoutMs} ms.`,
                details: { failureCode: "rpc_timeout", rpcMethod: method, timeoutMs },
              }),
            );
          }, timeoutMs);
        }
        pending.set(id, entry);
        write(line);
      });
    },
    notify(method, params) {
      write(toJsonLine(params === undefined ? { method } : { method, params }));
    },
    close(reason) {
      end(undefined, reason);
    },
    get closed() {
      return closed;
    },
    get pendingCount() {
      return pending.size;
    },
    get stats() {
      return stats;
    },
  };
}
