/**
 * `@alphred/agents`: drive OpenAI Codex from an agent runtime.
 *
 * The root export is the public API: the provider and its options, the event union, the error class and the
 * documented extension points of `CodexProviderOptions` (`bootstrap`, `createClient`). Testing seams and the
 * event mapper live under `@alphred/agents/testing`. The committed API report (`etc/agents.api.md`) shows every
 * change to this surface in review.
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
export type { CodexProviderOptions } from "./providers/codex.js";
export { CodexProvider } from "./providers/codex.js";
export type {
  CodexErrorClassification,
  CodexErrorCode,
  CodexErrorDetails,
  CodexErrorDetailsInit,
  CodexProviderErrorInit,
  CodexProviderErrorJSON,
} from "./providers/codexErrors.js";
export {
  CODEX_ERROR_CODES,
  CodexProviderError,
  createRedactor,
  redactSecrets,
} from "./providers/codexErrors.js";
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
export type {
  CodexConfigObject,
  CodexConfigValue,
  CodexProviderSettings,
  ProviderRunOptions,
} from "./providers/codexOptions.js";
export {
  codexProviderSettingsSchema,
  DEFAULT_CODEX_MODEL,
  MAX_TIMEOUT_MS,
  providerRunOptionsSchema,
} from "./providers/codexOptions.js";
export type {
  CodexAuthMode,
  CodexBootstrap,
  CodexBootstrapper,
  CodexEnv,
} from "./providers/codexSdkBootstrap.js";
export { bootstrapCodex } from "./providers/codexSdkBootstrap.js";
