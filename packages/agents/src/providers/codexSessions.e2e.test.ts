import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { customProviderConfig, type Emulator, startEmulator } from "@alphred/codex-emulator";
import { Codex, type ThreadOptions } from "@openai/codex-sdk";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { z } from "zod";
import type { CodexConfigObject } from "./codexOptions.js";
import { parseStructuredOutput, toStrictJsonSchema } from "./codexOutputSchema.js";
import { threadUsageFromRollout, toUsageMetadata, turnUsage } from "./codexThreadUsage.js";
import { codexPathUnderTest, echoTurn, hermeticRun, onePixelPng } from "./testing/e2e.js";

// Facts about the real binary that sessions (resume, per-turn usage, structured output, images) build on,
// pinned through the SDK directly and proven by what the emulator recorded. `pnpm compat` runs them on every
// binary it checks. ALPHRED_CODEX_PATH (test harness only) selects another binary.

const SCHEMA = {
  type: "object",
  properties: { answer: { type: "number" } },
  required: ["answer"],
  additionalProperties: false,
};

const codexPath = await codexPathUnderTest();
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({
    script: echoTurn,
  });
});
afterAll(() => emulator?.close());

async function session(context: TestContext) {
  const run = await hermeticRun(context, emulator.baseUrl);
  const client = () =>
    new Codex({
      codexPathOverride: codexPath,
      apiKey: run.env.CODEX_API_KEY as string,
      env: run.env,
      config: customProviderConfig(emulator.baseUrl) as CodexConfigObject,
    });
  const options: ThreadOptions = {
    workingDirectory: run.workingDirectory,
    model: "gpt-5.5",
    skipGitRepoCheck: true,
  };
  const posts = (marker: string) =>
    emulator.requests.filter((request) => request.method === "POST" && request.prompt.includes(marker));
  return { run, client, options, posts };
}

describe.concurrent("sessions on the real binary (SDK + emulator)", () => {
  it("turn.completed.usage is the thread's running total, across a resume by a new client", async (context) => {
    const { run, client, options, posts } = await session(context);
    const thread = client().startThread(options);
    const first = await thread.run("[[s:usage]] one");
    const second = await thread.run("[[s:usage]] two");
    const resumed = await client()
      .resumeThread(thread.id as string, options)
      .run("[[s:usage]] three");
    expect([first, second, resumed].map((turn) => turn.usage?.input_tokens)).toEqual([100, 200, 300]);
    expect([first, second, resumed].map((turn) => turn.usage?.output_tokens)).toEqual([7, 14, 21]);
    expect(resumed.usage?.cached_input_tokens).toBe(30);
    // Phase 2's delta: the rollout file in CODEX_HOME holds the running total a new process starts from.
    const [rollout] = (await readdir(path.join(run.codexHome, "sessions"), { recursive: true })).filter(
      (file) => file.endsWith(`${thread.id}.jsonl`),
    );
    const total = threadUsageFromRollout(
      await readFile(path.join(run.codexHome, "sessions", rollout as string), "utf8"),
    );
    expect(total).toEqual(toUsageMetadata(resumed.usage as NonNullable<typeof resumed.usage>));
    const perTurn = turnUsage(
      toUsageMetadata(resumed.usage as NonNullable<typeof resumed.usage>),
      toUsageMetadata(second.usage as NonNullable<typeof second.usage>),
    );
    expect(perTurn).toMatchObject({
      inputTokens: 100,
      cachedInputTokens: 10,
      outputTokens: 7,
      reasoningOutputTokens: 2,
    });
    // The resumed turn's request carries the whole history.
    expect(
      posts("[[s:usage]]")
        .at(-1)
        ?.transcript.filter((entry) => entry.role !== "user" || entry.text.includes("[[s:usage]]")),
    ).toEqual([
      { role: "user", text: "[[s:usage]] one" },
      { role: "assistant", text: "echo: [[s:usage]] one" },
      { role: "user", text: "[[s:usage]] two" },
      { role: "assistant", text: "echo: [[s:usage]] two" },
      { role: "user", text: "[[s:usage]] three" },
    ]);
  });

  it("sends outputSchema as a strict text.format, also on a resumed thread", async (context) => {
    const { client, options, posts } = await session(context);
    const thread = client().startThread(options);
    await thread.run("[[s:schema]] first");
    const resumed = await client()
      .resumeThread(thread.id as string, options)
      .run("[[s:schema]] typed", { outputSchema: SCHEMA });
    expect(JSON.parse(resumed.finalResponse)).toEqual({ answer: 42 });
    const [plain, typed] = posts("[[s:schema]]");
    expect(plain?.textFormat).toBeUndefined();
    const Answer = z.object({ answer: z.number(), note: z.string().nullable() });
    const strict = toStrictJsonSchema(Answer);
    const zodTurn = await client()
      .resumeThread(thread.id as string, options)
      .run("[[s:schema]] zod", { outputSchema: strict });
    expect(posts("[[s:schema]]").at(-1)?.textFormat).toMatchObject({ strict: true, schema: strict });
    expect(parseStructuredOutput(zodTurn.finalResponse, Answer)).toMatchObject({
      ok: false,
      reason: "invalid",
    });
    expect(typed?.textFormat).toEqual({
      type: "json_schema",
      strict: true,
      name: "codex_output_schema",
      schema: SCHEMA,
    });
  });

  it("sends a local_image as an input_image data URL; a missing file is silently dropped by the binary", async (context) => {
    const { run, client, options, posts } = await session(context);
    const image = path.join(run.workingDirectory, "pixel.png");
    await writeFile(image, onePixelPng());
    await client()
      .startThread(options)
      .run([
        { type: "text", text: "[[s:image]] look" },
        { type: "local_image", path: image },
      ]);
    await client()
      .startThread(options)
      .run([
        { type: "text", text: "[[s:image-missing]] look" },
        { type: "local_image", path: path.join(run.workingDirectory, "missing.png") },
      ]);
    expect(posts("[[s:image]]")[0]?.inputImages).toEqual([expect.stringMatching(/^data:image\/png;base64,/)]);
    // Why `images` must be checked before spawning: the binary runs the turn without the image.
    expect(posts("[[s:image-missing]]")[0]?.inputImages).toEqual([]);
  });

  it("refuses approvalPolicy untrusted in exec mode (0.163)", async (context) => {
    const { client, options } = await session(context);
    const failure = await client()
      .startThread({ ...options, approvalPolicy: "untrusted" })
      .run("[[s:untrusted]] hi")
      .then(
        () => undefined,
        (error: unknown) => String(error),
      );
    expect(failure).toMatch(/approval_policy = "untrusted" is no longer supported/);
  });
});
