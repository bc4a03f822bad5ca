import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseStructuredOutput, toStrictJsonSchema } from "./codexOutputSchema.js";
import { thrownCodexError } from "./testing/harness.js";

const Answer = z.object({ answer: z.number(), tags: z.array(z.string()), note: z.string().nullable() });

describe("toStrictJsonSchema", () => {
  it("converts a zod object to a strict JSON schema without the meta-schema URI", () => {
    expect(toStrictJsonSchema(Answer)).toEqual({
      type: "object",
      properties: {
        answer: { type: "number" },
        tags: { type: "array", items: { type: "string" } },
        note: { type: ["string", "null"] },
      },
      required: ["answer", "tags", "note"],
      additionalProperties: false,
    });
  });

  it("passes a strict plain JSON schema through as a copy", () => {
    const plain = {
      type: "object",
      properties: { a: { type: "string" } },
      required: ["a"],
      additionalProperties: false,
    };
    const out = toStrictJsonSchema(plain);
    expect(out).toEqual(plain);
    expect(out).not.toBe(plain);
  });

  it.each([
    ["an optional field", z.object({ a: z.string().optional() }), /make a required .*nullable/],
    [
      "a nested optional field",
      z.object({ n: z.object({ b: z.number().optional() }) }),
      /at properties\.n: /,
    ],
    ["a date", z.object({ d: z.date() }), /Date cannot be represented/],
    ["a non-object root", z.array(z.string()), /root must be an object/],
    ["an open plain object", { type: "object", properties: {}, required: [] }, /additionalProperties: false/],
    ["a string", "json", /expected a zod schema or a JSON schema object/],
  ])("rejects %s with CODEX_INVALID_OPTIONS", (_name, schema, message) => {
    const error = thrownCodexError(() => toStrictJsonSchema(schema as never));
    expect(error.code).toBe("CODEX_INVALID_OPTIONS");
    expect(error.message).toMatch(message);
    expect(error.details.path).toEqual(expect.arrayContaining(["outputSchema"]));
  });
});

describe("parseStructuredOutput", () => {
  it("returns the parsed, validated value", () => {
    expect(parseStructuredOutput('{"answer":42,"tags":["a"],"note":null}', Answer)).toEqual({
      ok: true,
      value: { answer: 42, tags: ["a"], note: null },
    });
    expect(parseStructuredOutput('{"x":1}', { type: "object" })).toEqual({ ok: true, value: { x: 1 } });
  });

  it("reports text that is not JSON and JSON that does not validate, with the zod issues", () => {
    expect(parseStructuredOutput("Sure! 42", Answer)).toMatchObject({ ok: false, reason: "not_json" });
    expect(parseStructuredOutput('{"answer":"42","tags":[],"note":null}', Answer)).toEqual({
      ok: false,
      reason: "invalid",
      issues: [{ path: ["answer"], message: expect.stringContaining("expected number") }],
    });
  });

  it("never throws, whatever the model says (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const result = parseStructuredOutput(text, Answer);
        if (result.ok) expect(Answer.safeParse(result.value).success).toBe(true);
        else expect(result.issues.length).toBeGreaterThan(0);
      }),
    );
  });
});
