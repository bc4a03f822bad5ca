import type { FaultRow } from "./execute.mjs";

/** What is wrong with a row (empty when it meets its expectation). */
export declare function problems(row: FaultRow): string[];
