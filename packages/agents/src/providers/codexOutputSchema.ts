import { z } from "zod";
import { CodexProviderError } from "./codexError.js";

// Structured output (issue 9): the provider calls `toStrictJsonSchema` before spawning (its result goes to the
// SDK's `outputSchema`, which codex sends as `text.format = {type: "json_schema", strict: true, name:
// "codex_output_schema", schema}`) and the settle point calls `parseStructuredOutput` on the final agent message.

/** A JSON schema as a plain object. */
export type JsonSchema = { [key: string]: unknown };

/** What `outputSchema` accepts: a zod schema or a plain JSON schema object. */
export type OutputSchema = z.ZodType | JsonSchema;

/** Outcome of checking the final message against the schema. */
export type StructuredOutputResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** `not_json`: the message does not parse; `invalid`: it parses but does not match the schema. */
      reason: "not_json" | "invalid";
      /** What did not match (zod issues, or the JSON parse error), log-safe. */
      issues: { path: string[]; message: string }[];
    };

function isZodSchema(schema: unknown): schema is z.ZodType {
  return schema instanceof z.ZodType;
}

function invalidSchema(message: string, path: string[] = []): never {
  throw new CodexProviderError({
    code: "CODEX_INVALID_OPTIONS",
    message: `Invalid run options: outputSchema${path.length > 0 ? ` at ${path.join(".")}` : ""}: ${message}`,
    details: { path: ["outputSchema", ...path] },
  });
}

/**
 * Checks what the Responses API's strict mode requires of every object in the schema: `additionalProperties`
 * false and every property listed in `required` (an optional field must be `.nullable()` instead).
 */
function assertStrict(node: unknown, path: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((entry, index) => {
      assertStrict(entry, [...path, String(index)]);
    });
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const schema = node as JsonSchema;
  const properties = schema.properties;
  if (schema.type === "object" || (typeof properties === "object" && properties !== null)) {
    if (schema.additionalProperties !== false) {
      invalidSchema("every object needs additionalProperties: false (strict mode)", path);
    }
    const names = Object.keys((properties ?? {}) as JsonSchema);
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = names.filter((name) => !required.includes(name));
    if (missing.length > 0) {
      invalidSchema(
        `strict mode needs every property required; make ${missing.join(", ")} required (use .nullable() instead of .optional())`,
        path,
      );
    }
  }
  for (const [key, value] of Object.entries(schema)) assertStrict(value, [...path, key]);
}

/** Converts `outputSchema` to the strict JSON schema codex sends; throws `CODEX_INVALID_OPTIONS` when it cannot. */
export function toStrictJsonSchema(schema: OutputSchema): JsonSchema {
  let json: JsonSchema;
  if (isZodSchema(schema)) {
    try {
      json = z.toJSONSchema(schema, { target: "draft-2020-12" }) as JsonSchema;
    } catch (error) {
      return invalidSchema(error instanceof Error ? error.message : String(error));
    }
  } else if (typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
    json = structuredClone(schema);
    // The answer is validated locally too, so the schema must be one zod can read.
    jsonSchemaValidator(json);
  } else {
    return invalidSchema("expected a zod schema or a JSON schema object");
  }
  // The API takes the schema body; the meta-schema URI is not part of it.
  const { $schema: _meta, ...body } = json;
  if (body.type !== "object") invalidSchema('the root must be an object schema (type: "object")');
  assertStrict(body, []);
  return body;
}

/** A zod validator for a plain JSON schema (zod 4's `z.fromJSONSchema`); `CODEX_INVALID_OPTIONS` if it cannot read it. */
function jsonSchemaValidator(schema: JsonSchema): z.ZodType {
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    return invalidSchema(error instanceof Error ? error.message : String(error));
  }
}

/** Parses the final agent message as JSON and validates it against the schema (a JSON schema through zod). */
export function parseStructuredOutput(text: string, schema: OutputSchema): StructuredOutputResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: "not_json",
      issues: [{ path: [], message: error instanceof Error ? error.message : String(error) }],
    };
  }
  // The API's strict mode should have enforced the schema; a proxy or another model may not have.
  const validator = isZodSchema(schema) ? schema : jsonSchemaValidator(schema);
  const parsed = validator.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : {
        ok: false,
        reason: "invalid",
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map(String),
          message: issue.message,
        })),
      };
}
