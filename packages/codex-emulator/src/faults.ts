import { type OutputItem, type SseEvent, type Step, sseEvent } from "./script.js";

/** A scripted failure in place of a normal response. */
export type Fault =
  /** Answer with this HTTP status (and optional JSON or text body and headers) instead of a stream. */
  | { fault: "http"; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429 with the OpenAI `insufficient_quota` error body. */
  | { fault: "insufficient_quota" }
  /** Stream `response.created` and these items, then reset the TCP connection mid-stream. */
  | { fault: "reset"; items?: OutputItem[] }
  /** Stream `response.created` and these items, then end the body cleanly without `response.completed`. */
  | { fault: "eof"; items?: OutputItem[] }
  /** Send a `response.failed` event; code `context_length_exceeded` models a context overflow. */
  | { fault: "response_failed"; code?: string; message?: string }
  /** Send a `response.incomplete` event (default reason `max_output_tokens`). */
  | { fault: "incomplete"; reason?: string }
  /** Mix unparseable `data:` lines into the stream, then complete normally with these items. */
  | { fault: "malformed"; items?: OutputItem[] }
  /** Send 200 SSE headers, then nothing until the emulator closes. */
  | { fault: "silence" }
  /** Never send headers; the request stays open until the emulator closes. */
  | { fault: "hang" };

/** An HTTP answer fully decided before any byte is sent. */
export interface HttpAnswer {
  /** Status code. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** Response body text. */
  body: string;
}

/** Body of OpenAI's 429 `insufficient_quota` error. */
export const INSUFFICIENT_QUOTA_BODY = {
  error: {
    message:
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    type: "insufficient_quota",
    param: null,
    code: "insufficient_quota",
  },
} as const;

/** Message of the emulator's default error body for an HTTP fault with no body. */
export function defaultErrorMessage(status: number): string {
  return `Emulated HTTP ${status} from the Codex emulator.`;
}

/** True when a step is a fault rather than a scripted response. */
export function isFault(step: Step): step is Fault {
  return "fault" in step;
}

/** A JSON error answer in the OpenAI error shape. */
export function jsonError(
  status: number,
  message: string,
  type = "emulator_error",
  code: string | null = null,
) {
  return jsonAnswer(status, { error: { message, type, param: null, code } });
}

/** A JSON answer with `content-type: application/json`. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/**
 * The complete answer of a fault that is a plain HTTP response; `undefined` for faults that stream.
 * A string body is sent verbatim as `text/plain`, anything else as JSON; given headers win.
 */
export function httpFaultAnswer(fault: Fault): HttpAnswer | undefined {
  switch (fault.fault) {
    case "http": {
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        return jsonError(500, `invalid emulated status ${String(fault.status)}`);
      }
      if (typeof fault.body === "string") {
        return {
          status: fault.status,
          headers: { "content-type": "text/plain", ...fault.headers },
          body: fault.body,
        };
      }
      const body = fault.body ?? {
        error: {
          message: defaultErrorMessage(fault.status),
          type: "emulator_error",
          param: null,
          code: null,
        },
      };
      return jsonAnswer(fault.status, body, fault.headers);
    }
    case "insufficient_quota":
      return jsonAnswer(429, INSUFFICIENT_QUOTA_BODY);
    default:
      return undefined;
  }
}

/** OpenAI's message for a context overflow, the default of a `context_length_exceeded` failure. */
export const CONTEXT_LENGTH_MESSAGE =
  "Your input exceeds the context window of this model. Please adjust your input and try again.";

/** `response.failed` with `error.code` and `error.message` (defaults: `server_error`, a generic text). */
export function failedEvent(
  responseId: string,
  model: string | undefined,
  code = "server_error",
  message = code === "context_length_exceeded" ? CONTEXT_LENGTH_MESSAGE : "The emulated response failed.",
): SseEvent {
  return sseEvent("response.failed", {
    response: { id: responseId, object: "response", status: "failed", model, error: { code, message } },
  });
}

/** `response.incomplete` with `incomplete_details.reason` (default `max_output_tokens`). */
export function incompleteEvent(
  responseId: string,
  model: string | undefined,
  reason = "max_output_tokens",
): SseEvent {
  return sseEvent("response.incomplete", {
    response: {
      id: responseId,
      object: "response",
      status: "incomplete",
      model,
      incomplete_details: { reason },
    },
  });
}

/** Unparseable frames the `malformed` fault sends between `response.created` and the items. */
export const MALFORMED_FRAMES: readonly string[] = [
  "data: {this is not json\n\n",
  "event: response.output_item.done\ndata: [1, 2\n\n",
  "data: \u0000garbage\u0000\n\n",
];
