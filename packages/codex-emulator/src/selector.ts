import type { RecordedRequest } from "./request.js";
import type { Turn } from "./script.js";

/** Chooses the turn that answers a request; `undefined` makes the emulator answer 500 "no script for request". */
export type ScriptSelector = (request: RecordedRequest) => Turn | undefined;

/**
 * Picks the turn whose key occurs in the request's last user message (its `prompt`), so one emulator can serve
 * many concurrent runs that each put a marker in their prompt. The longest matching key wins; with no match,
 * `fallback` (if any).
 */
export function byMarker(table: Record<string, Turn>, fallback?: Turn): ScriptSelector {
  const markers = Object.keys(table)
    .filter((marker) => marker !== "")
    .sort((a, b) => b.length - a.length);
  return (request) => {
    const marker = markers.find((candidate) => request.prompt.includes(candidate));
    return marker === undefined ? fallback : table[marker];
  };
}
