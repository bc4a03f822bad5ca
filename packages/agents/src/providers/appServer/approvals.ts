import type { Exact } from "./core.js";
import { type ApprovalDecision, approvalDecisionSchema, type WireServerRequest } from "./wire.js";

/** An answer to an approval request: run it, run it and stop asking this session, skip it, or end the turn. */
export type CodexApprovalDecision = "accept" | "acceptForSession" | "decline" | "cancel";

// Spelled out for the public declarations; the wire schema's decisions (bound to the generated protocol) must match.
true satisfies Exact<CodexApprovalDecision, ApprovalDecision>;

/** A step the agent wants to take that the approval policy asks about (app-server transport only). */
export interface CodexApprovalRequest {
  /** What needs approval: a shell command or a patch. */
  kind: "command" | "file_change";
  /** The thread the step belongs to. */
  threadId: string;
  /** The turn the step belongs to. */
  turnId: string;
  /** The item id; the step's `tool_use`/`tool_result` events carry the same id. */
  itemId: string;
  /** The command line (commands only). */
  command?: string;
  /** The directory the command runs in (commands only). */
  cwd?: string;
  /** Why codex asks, when it says. */
  reason?: string;
  /** A directory the patch wants write access to (file changes only). */
  grantRoot?: string;
}

/** Decides an approval request; may be async. Throwing or not answering in time counts as the default. */
export type CodexApprovalHandler = (
  request: CodexApprovalRequest,
) => CodexApprovalDecision | Promise<CodexApprovalDecision>;

/** The decision given when there is no handler, the handler throws, answers garbage or misses its deadline. */
export const DEFAULT_APPROVAL_DECISION: CodexApprovalDecision = "decline";

/** Default time an `onApproval` handler has to answer (ms). */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 60_000;

/** The typed request of a validated approval server request. */
export function toApprovalRequest(request: WireServerRequest): CodexApprovalRequest {
  const { threadId, turnId, itemId, reason } = request.params;
  const base = { threadId, turnId, itemId, ...(reason ? { reason } : {}) };
  if (request.method === "item/fileChange/requestApproval") {
    const { grantRoot } = request.params;
    return { kind: "file_change", ...base, ...(grantRoot ? { grantRoot } : {}) };
  }
  const { command, cwd } = request.params;
  return { kind: "command", ...base, ...(command ? { command } : {}), ...(cwd ? { cwd } : {}) };
}

/**
 * Asks the handler, bounded: resolves with its decision, or with {@link DEFAULT_APPROVAL_DECISION} when there is
 * no handler, it throws or rejects, returns something other than the four decisions, or takes longer than
 * `timeoutMs`. Never rejects, so the app-server is always answered.
 */
export function decideApproval(
  handler: CodexApprovalHandler | undefined,
  request: CodexApprovalRequest,
  timeoutMs: number,
): Promise<CodexApprovalDecision> {
  if (handler === undefined) return Promise.resolve(DEFAULT_APPROVAL_DECISION);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(DEFAULT_APPROVAL_DECISION), timeoutMs);
    const done = (value: unknown) => {
      clearTimeout(timer);
      const parsed = approvalDecisionSchema.safeParse(value);
      resolve(parsed.success ? parsed.data : DEFAULT_APPROVAL_DECISION);
    };
    try {
      Promise.resolve(handler({ ...request })).then(done, () => done(undefined));
    } catch {
      done(undefined);
    }
  });
}
