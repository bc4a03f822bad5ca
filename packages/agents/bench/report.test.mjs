// The pure report functions of `pnpm bench`: statistics, budgets and the serialization check. No timing here.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allPass,
  budgetRow,
  formatTable,
  median,
  peakOverlap,
  quantile,
  renderMarkdown,
  reportAppServer,
  reportConcurrency,
  reportFailureLatency,
  reportMemory,
  reportPerEvent,
  reportPerTurn,
  summarize,
} from "./report.mjs";

const samples = fc.array(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 });

describe("statistics", () => {
  it("median and quantiles lie between min and max, and quantiles grow with q", () => {
    fc.assert(
      fc.property(samples, fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
        const { min, max } = summarize(values);
        const value = quantile(values, q);
        expect(value).toBeGreaterThanOrEqual(min);
        expect(value).toBeLessThanOrEqual(max);
        expect(quantile(values, 0)).toBe(min);
        expect(quantile(values, 1)).toBe(max);
        expect(quantile(values, 0.25)).toBeLessThanOrEqual(median(values));
      }),
    );
  });

  it("takes the middle of odd and even lists", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(median([Number.POSITIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY);
  });

  it("peak overlap is 1 for back-to-back intervals and n for shared ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.1, max: 100, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (lengths) => {
          let at = 0;
          const serial = lengths.map((length) => {
            const interval = [at, at + length];
            at += length;
            return interval;
          });
          expect(peakOverlap(serial)).toBe(1);
          const shared = lengths.map((length) => [0, 100 + length]);
          expect(peakOverlap(shared)).toBe(lengths.length);
        },
      ),
    );
  });
});

describe("budgets", () => {
  it("a row passes exactly when its figure is within the budget", () => {
    fc.assert(
      fc.property(samples, fc.double({ min: 0, max: 2e6, noNaN: true }), (values, max) => {
        const row = budgetRow({ name: "x", values, unit: "×", max });
        expect(row.pass).toBe(median(values) <= max);
        expect(row.figure).toBe(median(values));
        expect(row.min).toBeLessThanOrEqual(row.median);
        expect(row.median).toBeLessThanOrEqual(row.max);
      }),
    );
  });

  it("per event subtracts the bare iteration and divides by JSON.parse", () => {
    const [ratio, , , alloc] = reportPerEvent({
      events: 1000,
      parseMs: [10, 10, 10],
      bareMs: [2, 2, 2],
      providerMs: [6, 7, 8],
      alloc: { parse: 1_000_000, bare: 500_000, provider: 2_500_000 },
    });
    expect(ratio).toMatchObject({ figure: 0.5, min: 0.4, max: 0.6, pass: true });
    expect(alloc).toMatchObject({ figure: 2000, pass: null });
    expect(reportPerEvent({ events: 1, parseMs: [1], bareMs: [1], providerMs: [2] })[0].pass).toBe(false);
  });

  it("per turn judges the median pair ratio and needs enough pairs", () => {
    const pair = (sdk, provider) => ({
      sdk: { totalMs: sdk, firstEventMs: 100 },
      provider: { totalMs: provider, firstEventMs: 110 },
    });
    const pairs = Array.from({ length: 20 }, (_, i) => pair(1000, i % 2 === 0 ? 1010 : 1030));
    expect(reportPerTurn({ kind: "m", pairs })[0]).toMatchObject({ figure: 1.02, pass: true });
    expect(reportPerTurn({ kind: "m", pairs: pairs.slice(0, 19) })[0].pass).toBe(false);
    const slow = pairs.map(() => pair(1000, 1050));
    expect(reportPerTurn({ kind: "m", pairs: slow })[0].pass).toBe(false);
    expect(reportPerTurn({ kind: "m", pairs })[2]).toMatchObject({ figure: 110, pass: null });
  });

  it("failure latency runs from the first sign and needs the expected code", () => {
    const sample = (firstSignMs, errorMs, code = "CODEX_AUTH_ERROR") => ({
      startMs: 0,
      firstSignMs,
      errorMs,
      code,
    });
    const fast = [sample(500, 700), sample(400, 650)];
    expect(
      reportFailureLatency({ name: "401", samples: fast, expectedCode: "CODEX_AUTH_ERROR" })[0],
    ).toMatchObject({ figure: 225, pass: true });
    const slow = [sample(500, 7000)];
    expect(reportFailureLatency({ name: "401", samples: slow })[0].pass).toBe(false);
    const wrongCode = [sample(500, 600, "CODEX_INTERNAL_ERROR")];
    expect(
      reportFailureLatency({ name: "401", samples: wrongCode, expectedCode: "CODEX_AUTH_ERROR" })[0].pass,
    ).toBe(false);
    expect(reportFailureLatency({ name: "401", samples: [sample(null, 600)] })[0].pass).toBe(false);
  });

  it("a bounded case fails when the run had to be aborted at the cap", () => {
    const ended = { startMs: 0, firstSignMs: 100, errorMs: 9000, code: "CODEX_TRANSPORT_ERROR" };
    const capped = { ...ended, errorMs: null, code: "CODEX_ABORTED" };
    const report = (list) =>
      reportFailureLatency({ name: "dead", samples: list, bound: true, capMs: 30_000 })[0];
    expect(report([ended])).toMatchObject({ figure: 9000, pass: true });
    expect(report([capped])).toMatchObject({ figure: Number.POSITIVE_INFINITY, pass: false });
    expect(report([ended, capped]).pass).toBe(false);
  });

  it("memory compares RSS growth with the largest event", () => {
    const row = (growth) =>
      reportMemory({ samples: [{ baselineRss: 100e6, peakRss: 100e6 + growth, largestEventBytes: 1e6 }] })[0];
    expect(row(1.5e6)).toMatchObject({ figure: 1.5, pass: true });
    expect(row(20e6).pass).toBe(false);
    const sample = { baselineRss: 0, peakRss: 3e6, largestEventBytes: 1e6 };
    const [, sdk] = reportMemory({ samples: [sample], sdkSamples: [sample] });
    expect(sdk).toMatchObject({ figure: 3, pass: null });
  });
});

describe("concurrency", () => {
  const turnsAt = (starts, length) =>
    starts.map((start) => ({ startMs: 0, firstEventMs: start, endMs: start + length }));

  it("fails a concurrent batch whose turns ran one after another, even when its wall looks fine", () => {
    const serial = [{ wallMs: 4000, turns: turnsAt([0, 1000, 2000, 3000], 1000) }];
    const overlapped = [{ wallMs: 1500, turns: turnsAt([0, 10, 20, 30], 1400) }];
    const serialized = [{ wallMs: 4000, turns: turnsAt([0, 1000, 2000, 3000], 1000) }];
    const fastButSerialized = [{ wallMs: 1000, turns: turnsAt([0, 250, 500, 750], 250) }];
    expect(reportConcurrency({ n: 4, serial, concurrent: overlapped })[0]).toMatchObject({ pass: true });
    expect(reportConcurrency({ n: 4, serial, concurrent: serialized })[0].pass).toBe(false);
    expect(reportConcurrency({ n: 4, serial, concurrent: fastButSerialized })[0].pass).toBe(false);
  });

  it("reports one turn as information only", () => {
    const batch = [{ wallMs: 1000, turns: turnsAt([0], 1000) }];
    expect(reportConcurrency({ n: 1, serial: batch, concurrent: batch })[0].pass).toBe(null);
  });
});

describe("reportAppServer", () => {
  const base = {
    interrupt: { exec: [20, 25], app: [10, 12] },
    conversation: { exec: 3000, app: 800 },
    conversationTurns: 10,
    appFirstTurnMs: 500,
  };
  const samples = [
    { exec: 300, app: 150 },
    { exec: 300, app: 120 },
  ];
  it("judges the median per-pair ratio of a warm turn (thread held) to a cold exec resume against 0.3×", () => {
    const fast = reportAppServer({
      ...base,
      samples,
      continued: [
        { exec: 300, app: 60 },
        { exec: 330, app: 99 },
        { exec: 300, app: 300 },
      ],
    });
    expect(fast[0]).toMatchObject({ pass: true, budget: "≤ 0.3×" });
    expect(fast[0].figure).toBeCloseTo(0.3, 5);
    const slow = reportAppServer({
      ...base,
      samples,
      continued: [
        { exec: 300, app: 100 },
        { exec: 300, app: 120 },
      ],
    });
    expect(slow[0].pass).toBe(false);
    // A new thread's first turn is reported, never judged.
    expect(fast.slice(1).map((row) => row.pass)).toEqual([null, null, null, null, null]);
    expect(fast[1].figure).toBeCloseTo(0.45, 5);
    expect(fast.map((row) => row.figure).slice(2)).toEqual([11, 22.5, 3000, 800]);
  });
});

describe("output", () => {
  const rows = [
    budgetRow({ name: "a | b", values: [1, 2, 3], unit: "×", max: 2.5 }),
    budgetRow({ name: "c", values: [9], unit: " ms", max: 1 }),
  ];

  it("fails overall when a budgeted row fails", () => {
    expect(allPass(rows)).toBe(false);
    expect(allPass(rows.slice(0, 1))).toBe(true);
  });

  it("prints an aligned table and a markdown page naming the machine and the missed budget", () => {
    const table = formatTable(rows).split("\n");
    expect(table).toHaveLength(4);
    expect(table[2]).toContain("PASS");
    expect(table[3]).toContain("FAIL");
    const page = renderMarkdown({
      rows,
      machine: { cores: 2, cpu: "Test CPU", memoryGb: 8, platform: "linux", node: "v22.0.0", load: "1 1 1" },
      date: "2026-01-01T00:00:00.000Z",
      settings: "events=1",
    });
    expect(page).toContain("2 cores, Test CPU");
    expect(page).toContain("Node v22.0.0");
    expect(page).toContain("1 budget(s) missed: c");
    expect(page).toMatch(/^\| a \\\| b +\| /m);
  });
});
