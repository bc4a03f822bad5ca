import { describe, expect, it } from "vitest";
import { allPass, formatTable, problems, renderMarkdown } from "./report.mjs";

const row = (over = {}) => ({
  id: "http-401",
  label: "HTTP 401",
  mode: "default",
  expected: { code: "CODEX_AUTH_ERROR", retryable: false },
  code: "CODEX_AUTH_ERROR",
  retryable: false,
  statusCode: 401,
  exitCode: 1,
  ms: 640,
  capped: false,
  processesLeft: 0,
  rejections: 0,
  ...over,
});

describe("fault report", () => {
  it("passes a row that meets its expectation", () => {
    expect(problems(row())).toEqual([]);
    expect(problems(row({ code: null, retryable: undefined, expected: { code: null } }))).toEqual([]);
  });

  it("names every way a row breaks its expectation", () => {
    expect(problems(row({ code: "CODEX_INTERNAL_ERROR" }))).toEqual([
      "code CODEX_INTERNAL_ERROR, expected CODEX_AUTH_ERROR",
    ]);
    expect(problems(row({ retryable: true }))).toEqual(["retryable true, expected false"]);
    expect(problems(row({ code: null }))).toEqual(["code none, expected CODEX_AUTH_ERROR"]);
    expect(problems(row({ capped: true, processesLeft: 2, rejections: 1 }))).toEqual([
      "did not settle by itself: aborted at the harness cap",
      "2 codex process(es) left",
      "1 unhandled rejection(s)",
    ]);
    expect(problems(row({ processesLeft: undefined }))).toEqual(["undefined codex process(es) left"]);
    expect(problems({ ...row(), crashed: "Error: boom\n  at x" })).toEqual(["harness crashed: Error: boom"]);
  });

  it("does not judge a row that was not run, and shows why", () => {
    const skipped = { ...row(), skipped: "unshare -rn unavailable", code: undefined };
    expect(problems(skipped)).toEqual([]);
    expect(allPass([row(), skipped])).toBe(true);
    expect(allPass([row(), row({ rejections: 1 })])).toBe(false);
    expect(formatTable([skipped])).toContain("not run: unshare -rn unavailable");
  });

  it("prints one aligned line per row with exit code or signal", () => {
    const table = formatTable([
      row(),
      row({ mode: "custom", exitCode: undefined, signal: "SIGKILL", ms: 1500 }),
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines[2]).toContain("code 1");
    expect(lines[3]).toContain("SIGKILL");
    expect(lines[3]).toContain("1.50");
  });

  it("renders the document with its verdict, bounds and notes", () => {
    const machine = {
      cores: 2,
      cpu: "cpu",
      memoryGb: 8,
      platform: "linux",
      node: "v22",
      load: "1",
      codex: "0.163.0",
      customIdleMs: 2000,
      capMs: 60_000,
      concurrency: 2,
    };
    const doc = renderMarkdown({
      rows: [row(), row({ processesLeft: 1 })],
      machine,
      date: "2026-01-01T00:00:00.000Z",
      totalSeconds: 12.3,
      bounds: ["bound one"],
      notes: ["note one"],
    });
    expect(doc).toContain("1 row(s) broke their expectation");
    expect(doc).toContain("- bound one");
    expect(doc).toContain("- note one");
    expect(doc).toContain("pnpm faults");
    expect(doc).toContain("2026-01-01");
  });
});
