import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as root from "./index.js";
import * as testing from "./testing.js";

// The package README's "Public API" section is the documented surface: it must name exactly what the root export
// holds, and every `@alphred/agents/testing` name it mentions must exist there (and not at the root).

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), "utf8");

/** Names an entry point re-exports, split into values and types (`export type { … }` blocks). */
function exportedNames(source: string): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const match of source.matchAll(/^export (type )?\{([^}]*)\} from "[^"]+";$/gm)) {
    const names = (match[2] ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name.length > 0);
    (match[1] ? types : values).push(...names);
  }
  return { values: values.sort(), types: types.sort() };
}

/** Backticked identifiers in a piece of Markdown (call forms like `settle(facts)` count as `settle`). */
function documentedNames(markdown: string): string[] {
  const names = new Set<string>();
  for (const match of markdown.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)(?:\([^`]*\))?`/g))
    names.add(match[1] ?? "");
  return [...names].sort();
}

const readme = read("../README.md");
const section = readme.slice(readme.indexOf("## Public API"));
const rootSection = section.slice(0, section.indexOf("`@alphred/agents/testing` holds"));
const testingSection = section.slice(section.indexOf("`@alphred/agents/testing` holds"));
const rootExports = exportedNames(read("./index.ts"));
const testingExports = exportedNames(read("./testing.ts"));
const WORDS = new Set(["bootstrap", "createClient", "outputSchema", "mcpServers"]); // option names the prose mentions, not exports

describe("public API", () => {
  it("the parsed value exports are what each entry point really exports", () => {
    expect(rootExports.values).toEqual(Object.keys(root).sort());
    expect(testingExports.values).toEqual(Object.keys(testing).sort());
  });

  it("the README's root list names exactly the root exports", () => {
    const documented = documentedNames(rootSection).filter((name) => !WORDS.has(name));
    expect(documented).toEqual([...rootExports.values, ...rootExports.types].sort());
  });

  it("every testing name the README mentions is a testing export and not a root export", () => {
    const all = new Set([...testingExports.values, ...testingExports.types]);
    const documented = documentedNames(testingSection).filter((name) => name !== "etc");
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((name) => !all.has(name))).toEqual([]);
    expect(documented.filter((name) => name in root)).toEqual([]);
  });

  it("no name is exported from both entry points", () => {
    const both = [...rootExports.values, ...rootExports.types].filter((name) =>
      [...testingExports.values, ...testingExports.types].includes(name),
    );
    expect(both).toEqual([]);
  });
});
