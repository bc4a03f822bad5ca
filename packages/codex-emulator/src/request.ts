/** One HTTP request the emulator received, in arrival order. */
export interface RecordedRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Request path including any query string, e.g. `/v1/responses`. */
  path: string;
  /** Request headers as Node parsed them (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; `undefined` when the body is empty or not JSON. */
  body: unknown;
  /** Tool outputs (`function_call_output` + `custom_tool_call_output`) in the input since the last user message. */
  toolOutputs: number;
  /** Text of the last user message of the input; `""` if there is none. */
  prompt: string;
  /** The request's whole `input` array (history of earlier turns included); `[]` when absent. */
  input: unknown[];
  /** `text.format` of the request: the structured-output schema (`{type:"json_schema", strict, schema, name}`), if any. */
  textFormat: unknown;
  /** `image_url` of every `input_image` part in the input, in order (codex sends local images as data URLs). */
  inputImages: string[];
  /** User and assistant messages of the input as plain text, in order: proves what history a resumed turn carried. */
  transcript: TranscriptEntry[];
}

/** One user or assistant message of a request's input, reduced to its text. */
export interface TranscriptEntry {
  /** `user` or `assistant`. */
  role: "user" | "assistant";
  /** Text parts joined by `\n` (`input_text`, `output_text`, `text`). */
  text: string;
}

const TOOL_OUTPUT_TYPES = new Set(["function_call_output", "custom_tool_call_output"]);

function inputItems(body: unknown): unknown[] {
  if (typeof body !== "object" || body === null) return [];
  const input = (body as { input?: unknown }).input;
  return Array.isArray(input) ? input : [];
}

function isUserMessage(item: unknown): item is { content?: unknown } {
  if (typeof item !== "object" || item === null) return false;
  const { type, role } = item as { type?: unknown; role?: unknown };
  return role === "user" && (type === undefined || type === "message");
}

function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => {
      if (typeof part !== "object" || part === null) return undefined;
      const { type, text } = part as { type?: unknown; text?: unknown };
      return (type === "input_text" || type === "output_text" || type === "text") && typeof text === "string"
        ? text
        : undefined;
    })
    .filter((text) => text !== undefined)
    .join("\n");
}

function lastUserIndex(items: unknown[]): number {
  return items.findLastIndex(isUserMessage);
}

/**
 * Counts tool outputs in a Responses request body after its last user message, so that the count restarts
 * with every turn of a resumed thread (whose history carries the earlier turns' outputs).
 */
export function countToolOutputs(body: unknown): number {
  const items = inputItems(body);
  return items.slice(lastUserIndex(items) + 1).filter((item) => {
    const type = (item as { type?: unknown } | null)?.type;
    return typeof type === "string" && TOOL_OUTPUT_TYPES.has(type);
  }).length;
}

/** Text of the last user message of a Responses request body (parts joined by `\n`); `""` if none. */
export function lastUserPrompt(body: unknown): string {
  const items = inputItems(body);
  const last = items[lastUserIndex(items)];
  return isUserMessage(last) ? messageText(last.content) : "";
}

/** The `text.format` of a Responses request body (structured output), or `undefined`. */
export function textFormatOf(body: unknown): unknown {
  if (typeof body !== "object" || body === null) return undefined;
  const text = (body as { text?: unknown }).text;
  return typeof text === "object" && text !== null ? (text as { format?: unknown }).format : undefined;
}

/** `image_url` of every `input_image` content part of a Responses request body, in order. */
export function inputImagesOf(body: unknown): string[] {
  return inputItems(body).flatMap((item) => {
    const content = (item as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return [];
    return content.flatMap((part: unknown) => {
      const { type, image_url: url } = (part ?? {}) as { type?: unknown; image_url?: unknown };
      return type === "input_image" && typeof url === "string" ? [url] : [];
    });
  });
}

/** The user and assistant messages of a Responses request body as text, in order. */
export function transcriptOf(body: unknown): TranscriptEntry[] {
  return inputItems(body).flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const { type, role, content } = item as { type?: unknown; role?: unknown; content?: unknown };
    if ((type !== undefined && type !== "message") || (role !== "user" && role !== "assistant")) return [];
    return [{ role, text: messageText(content) }];
  });
}

/** Everything the emulator records about a request body. */
export function describeBody(
  body: unknown,
): Pick<RecordedRequest, "toolOutputs" | "prompt" | "input" | "textFormat" | "inputImages" | "transcript"> {
  return {
    toolOutputs: countToolOutputs(body),
    prompt: lastUserPrompt(body),
    input: inputItems(body),
    textFormat: textFormatOf(body),
    inputImages: inputImagesOf(body),
    transcript: transcriptOf(body),
  };
}
