import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  countToolOutputs,
  describeBody,
  inputImagesOf,
  lastUserPrompt,
  textFormatOf,
  transcriptOf,
} from "./request.js";

const user = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
const output = (type: string) => ({ type, call_id: "c", output: "" });

describe("countToolOutputs", () => {
  it("counts function and custom tool outputs only", () => {
    const body = {
      input: [
        user("go"),
        { type: "function_call", call_id: "c" },
        output("function_call_output"),
        output("custom_tool_call_output"),
        output("mcp_call_output"),
      ],
    };
    expect(countToolOutputs(body)).toBe(2);
  });

  it("counts only outputs after the last user message, so a resumed turn starts at step 0", () => {
    const body = { input: [user("first"), output("function_call_output"), user("second")] };
    expect(countToolOutputs(body)).toBe(0);
    expect(countToolOutputs({ input: [...body.input, output("function_call_output")] })).toBe(1);
  });

  it("treats bodies without an input array as zero", () => {
    expect([undefined, null, "x", {}, { input: "text" }].map(countToolOutputs)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("lastUserPrompt", () => {
  it("returns the text of the last user message, skipping developer and assistant messages", () => {
    const body = {
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "dev" }] },
        user("<environment_context/>"),
        user("the prompt"),
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "answer" }] },
        output("function_call_output"),
      ],
    };
    expect(lastUserPrompt(body)).toBe("the prompt");
  });

  it("joins text parts and accepts string content", () => {
    const parts = {
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "a" },
            { type: "input_image", image_url: "x" },
            { type: "input_text", text: "b" },
          ],
        },
      ],
    };
    expect(lastUserPrompt(parts)).toBe("a\nb");
    expect(lastUserPrompt({ input: [{ role: "user", content: "plain" }] })).toBe("plain");
  });

  it("returns an empty string without a user message", () => {
    expect(lastUserPrompt({ input: [output("function_call_output")] })).toBe("");
    expect(lastUserPrompt(undefined)).toBe("");
  });
});

describe("what a request carried", () => {
  const format = {
    type: "json_schema",
    strict: true,
    name: "codex_output_schema",
    schema: { type: "object", properties: { answer: { type: "number" } }, required: ["answer"] },
  };
  const body = {
    text: { verbosity: "low", format },
    input: [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "dev" }] },
      user("first"),
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "answer one" }] },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "<image>" },
          { type: "input_image", image_url: "data:image/png;base64,AAAA" },
          { type: "input_text", text: "second" },
        ],
      },
    ],
  };

  it("records the structured-output format, the images and the transcript of the history", () => {
    expect(textFormatOf(body)).toEqual(format);
    expect(inputImagesOf(body)).toEqual(["data:image/png;base64,AAAA"]);
    expect(transcriptOf(body)).toEqual([
      { role: "user", text: "first" },
      { role: "assistant", text: "answer one" },
      { role: "user", text: "<image>\nsecond" },
    ]);
    expect(describeBody(body)).toMatchObject({
      input: body.input,
      prompt: "<image>\nsecond",
      toolOutputs: 0,
    });
  });

  it("never throws on arbitrary bodies and keeps every field well-typed", () => {
    fc.assert(
      fc.property(fc.anything(), (anyBody) => {
        const described = describeBody(anyBody);
        expect(Array.isArray(described.input)).toBe(true);
        expect(described.inputImages.every((url) => typeof url === "string")).toBe(true);
        expect(described.transcript.every((entry) => typeof entry.text === "string")).toBe(true);
      }),
    );
    expect(describeBody(undefined)).toEqual({
      toolOutputs: 0,
      prompt: "",
      input: [],
      textFormat: undefined,
      inputImages: [],
      transcript: [],
    });
  });
});
