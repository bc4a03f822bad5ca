// A realistic thread-event stream for the per-event bench: the item events the real binary emitted in
// src/providers/fixtures/*.jsonl, repeated with unique ids, command outputs of varied size (64 B – 64 KB) and
// the configured API key planted in some of them, between a real head and tail.
import { readdirSync, readFileSync } from "node:fs";

/** The API key the per-event bench configures, so redaction has real work to do. */
export const BENCH_API_KEY = "sk-bench-secret-key-0123456789abcdef";

const FIXTURES = new URL("../src/providers/fixtures/", import.meta.url);
/** Output sizes cycled through command items: mostly small, some large, like a coding session. */
const OUTPUT_SIZES = [64, 300, 1_000, 2_000, 200, 8_000, 500, 64_000, 120, 4_000];

function fixtureEvents() {
  const events = [];
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith(".jsonl"));
  for (const [index, file] of files.entries()) {
    for (const line of readFileSync(new URL(file, FIXTURES), "utf8").split("\n")) {
      if (line.trim() === "") continue;
      const event = JSON.parse(line);
      if (typeof event.type !== "string" || !event.type.startsWith("item.")) continue;
      // Ids repeat across fixtures (item_0 everywhere): prefix them so each item keeps its own lifecycle.
      event.item.id = `f${index}_${event.item.id}`;
      events.push(event);
    }
  }
  return events;
}

function commandOutput(size, seed, secret) {
  let text = "";
  for (let line = 0; text.length < size; line++) {
    text += ` ✓ src/providers/module${(seed + line) % 97}.test.ts > case ${line} passes in ${(seed * 7 + line * 13) % 250} ms\n`;
  }
  text = text.slice(0, size);
  return secret ? `${text}env: OPENAI_API_KEY=${BENCH_API_KEY}\n` : text;
}

/** JSONL lines of one turn of about `count` events. */
export function realisticLines(count) {
  const templates = fixtureEvents();
  const head = [
    { type: "thread.started", thread_id: "01a20cf0-ab5b-7ad2-addd-86c5e03d4970" },
    { type: "turn.started" },
  ];
  const tail = {
    type: "turn.completed",
    usage: {
      input_tokens: 182_340,
      cached_input_tokens: 150_112,
      cache_write_input_tokens: 0,
      output_tokens: 9_812,
      reasoning_output_tokens: 4_410,
    },
  };
  const lines = head.map((event) => JSON.stringify(event));
  let outputs = 0;
  for (let cycle = 0; lines.length < count - 1; cycle++) {
    for (const template of templates) {
      const event = structuredClone(template);
      event.item.id = `${event.item.id}_${cycle}`;
      if (event.item.type === "command_execution" && event.type === "item.completed") {
        const size = OUTPUT_SIZES[outputs % OUTPUT_SIZES.length];
        event.item.aggregated_output = commandOutput(size, cycle, outputs % 7 === 0);
        outputs++;
      }
      lines.push(JSON.stringify(event));
    }
  }
  lines.push(JSON.stringify(tail));
  return lines;
}
