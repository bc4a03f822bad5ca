export type {
  AgentProvider,
  AssistantEvent,
  FileChange,
  ProviderEvent,
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
export type { CodexBinary } from "./providers/codexBinary.js";
export { CODEX_SDK_VERSION, resolveCodexBinary } from "./providers/codexBinary.js";
export type {
  BootstrapDependencies,
  CodexAuthMode,
  CodexBootstrap,
  CodexBootstrapper,
  CodexEnv,
} from "./providers/codexBootstrap.js";
export { bootstrapCodex, createCodexBootstrap, interpretLoginStatus } from "./providers/codexBootstrap.js";
export type { FailureFacts } from "./providers/codexClassify.js";
export { classifyCodexFailure } from "./providers/codexClassify.js";
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
  CodexIo,
  CodexThreadLike,
  CodexTurnStream,
  LoginStatusOutput,
} from "./providers/codexIo.js";
export type { MapperContext, MapperState } from "./providers/codexMapper.js";
export { CODEX_OUTPUT_CAP_BYTES, createMapperState, mapThreadEvent } from "./providers/codexMapper.js";
export type {
  CodexConfigObject,
  CodexConfigValue,
  CodexProviderSettings,
  ProviderRunOptions,
  ResolvedRunOptions,
} from "./providers/codexOptions.js";
export {
  codexConfigSchema,
  codexProviderSettingsSchema,
  DEFAULT_CODEX_MODEL,
  MAX_ARG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_INPUT_CHARS,
  MAX_TIMEOUT_MS,
  parseRunOptions,
  providerRunOptionsSchema,
} from "./providers/codexOptions.js";
export type { SecretRedactor } from "./providers/codexRedaction.js";
export { createSecretRedactor } from "./providers/codexRedaction.js";
export type { EndFacts, StopReason } from "./providers/codexSettle.js";
export { settle } from "./providers/codexSettle.js";
export type { ParsedThreadEvent, UnknownItemEvent, UnknownThreadItem } from "./providers/codexWire.js";
export { parseThreadEvent } from "./providers/codexWire.js";
