import { describe, expect, it } from "vitest";
import { countToolOutputs, lastUserPrompt } from "./request.js";

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
