/**
 * `@alphred/agents`: drive OpenAI Codex from an agent runtime.
 *
 * The root export is the public API: the provider, its run handle and options, the event union, the error class
 * with its codes and classification table, the documented limits, and the documented extension points of
 * `CodexProviderOptions` (`bootstrap`, `createClient`) plus the secret redactor. Testing seams and the pieces for
 * runtimes that drive `@openai/codex-sdk` themselves (wire parser, mapper, settle, classifier, secret collection,
 * bootstrap internals) live under `@alphred/agents/testing`. The committed API report (`etc/agents.api.md`) shows
 * every change to this surface in review.
 *
 * @packageDocumentation
 */
export type {
  AgentProvider,
  AssistantEvent,
  FileChange,
  ProviderEvent,
  ProviderEventBase,
  ProviderEventType,
  ResultEvent,
  ResultMetadata,
  SystemEvent,
  SystemEventMetadata,
  TodoEntry,
  ToolEventMetadata,
  ToolItemDetails,
  ToolPhase,
  ToolResultEvent,
  ToolUseEvent,
  UsageEvent,
  UsageMetadata,
} from "./provider.js";
export type {
  CodexApprovalDecision,
  CodexApprovalHandler,
  CodexApprovalRequest,
} from "./providers/appServer/approvals.js";
export { DEFAULT_APPROVAL_DECISION, DEFAULT_APPROVAL_TIMEOUT_MS } from "./providers/appServer/approvals.js";
export { DEFAULT_APP_SERVER_IDLE_MS } from "./providers/appServer/client.js";
export type { CodexProviderOptions, CodexRun } from "./providers/codex.js";
export { CodexProvider, FATAL_EXIT_GRACE_MS } from "./providers/codex.js";
export type {
  CodexAuthMode,
  CodexBootstrap,
  CodexBootstrapper,
  CodexEnv,
} from "./providers/codexBootstrap.js";
export { bootstrapCodex } from "./providers/codexBootstrap.js";
export type {
  CodexDiagnosis,
  CodexDoctor,
  CredentialSource,
  DiagnoseOptions,
  DoctorCheck,
  DoctorStatus,
} from "./providers/codexDoctor.js";
export { diagnoseCodex, formatDiagnosis } from "./providers/codexDoctor.js";
export type {
  CodexErrorClassification,
  CodexErrorCode,
  CodexErrorDetails,
  CodexErrorDetailsInit,
  CodexProviderErrorInit,
  CodexProviderErrorJSON,
  CodexTimeoutKind,
} from "./providers/codexError.js";
export {
  CODEX_ERROR_CLASSIFICATION,
  CODEX_ERROR_CODES,
  CodexProviderError,
  retryableByDefault,
} from "./providers/codexError.js";
export type {
  CodexClientFactory,
  CodexClientLike,
  CodexClientOptions,
  CodexThreadLike,
  CodexThreadOptions,
  CodexTurnInput,
  CodexTurnOptions,
  CodexTurnStream,
} from "./providers/codexIo.js";
export { CODEX_OUTPUT_CAP_BYTES } from "./providers/codexMapper.js";
export type {
  CodexConfigObject,
  CodexConfigValue,
  CodexProviderSettings,
  CodexTransport,
  ProviderRunOptions,
} from "./providers/codexOptions.js";
export {
  codexProviderSettingsSchema,
  DEFAULT_CODEX_MODEL,
  MAX_ARG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_IMAGES,
  MAX_INPUT_CHARS,
  MAX_SYSTEM_PROMPT_CHARS,
  MAX_TIMEOUT_MS,
  providerRunOptionsSchema,
} from "./providers/codexOptions.js";
export type { JsonSchema, OutputSchema } from "./providers/codexOutputSchema.js";
export type { SecretRedactor } from "./providers/codexRedaction.js";
export { createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from "./providers/codexRedaction.js";
export type { RetryDependencies, RetryPolicy } from "./providers/codexRetry.js";
export { retryPolicySchema, runWithRetry } from "./providers/codexRetry.js";
export type { McpServers } from "./providers/codexSessionSettings.js";
export {
  APPROVAL_POLICIES,
  EXEC_APPROVAL_POLICIES,
  mcpServersSchema,
  REASONING_EFFORTS,
  SANDBOX_MODES,
  WEB_SEARCH_MODES,
} from "./providers/codexSessionSettings.js";
