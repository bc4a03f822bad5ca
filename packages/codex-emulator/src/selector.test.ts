import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "./request.js";
import type { Turn } from "./script.js";
import { byMarker } from "./selector.js";

const turn = (text: string): Turn => ({ steps: [{ items: [{ type: "message", text }] }] });
const requestWith = (prompt: string): RecordedRequest => ({
  method: "POST",
  path: "/v1/responses",
  headers: {},
  body: undefined,
  toolOutputs: 0,
  input: [],
  textFormat: undefined,
  inputImages: [],
  transcript: [],
  prompt,
});

describe("byMarker", () => {
  const one = turn("one");
  const ten = turn("ten");
  const fallback = turn("fallback");

  it("picks the turn whose marker is in the prompt, preferring the longest marker", () => {
    const select = byMarker({ "#1": one, "#10": ten });
    expect(select(requestWith("task #1 please"))).toBe(one);
    expect(select(requestWith("task #10 please"))).toBe(ten);
  });

  it("falls back, or returns undefined without a fallback", () => {
    expect(byMarker({ "#1": one }, fallback)(requestWith("nothing"))).toBe(fallback);
    expect(byMarker({ "#1": one })(requestWith("nothing"))).toBeUndefined();
  });

  it("ignores an empty marker, which would match everything", () => {
    expect(byMarker({ "": one })(requestWith("anything"))).toBeUndefined();
  });
});
