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
      return (type === "input_text" || type === "text") && typeof text === "string" ? text : undefined;
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
