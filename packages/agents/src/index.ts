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
  CodexDiagnosis,
  CredentialSource,
  DiagnoseOptions,
  DoctorCheck,
  DoctorIo,
  DoctorStatus,
} from "./providers/codexDoctor.js";
export { diagnoseCodex, formatDiagnosis, maskSecret, parseModelCatalog } from "./providers/codexDoctor.js";
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
  CodexCommandOutput,
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
  PreparedRun,
  ProviderRunOptions,
  ResolvedRunOptions,
} from "./providers/codexOptions.js";
export {
  codexConfigSchema,
  codexProviderSettingsSchema,
  DEFAULT_CODEX_MODEL,
  MAX_ARG_BYTES,
  MAX_CONFIG_DEPTH,
  MAX_IMAGES,
  MAX_INPUT_CHARS,
  MAX_TIMEOUT_MS,
  parseRunOptions,
  providerRunOptionsSchema,
} from "./providers/codexOptions.js";
export type { JsonSchema, OutputSchema, StructuredOutputResult } from "./providers/codexOutputSchema.js";
export { parseStructuredOutput, toStrictJsonSchema } from "./providers/codexOutputSchema.js";
export type { SecretRedactor } from "./providers/codexRedaction.js";
export { createSecretRedactor, MIN_SECRET_LENGTH, REDACTED } from "./providers/codexRedaction.js";
export type { ResolvedRetryPolicy, RetryDependencies, RetryPolicy } from "./providers/codexRetry.js";
export {
  computeRetryDelay,
  parseRetryPolicy,
  retryPolicySchema,
  runWithRetry,
} from "./providers/codexRetry.js";
export type { ConfigObject, SecretEnv, SecretSources } from "./providers/codexSecrets.js";
export {
  API_KEY_ENV_VARS,
  collectSecrets,
  shellEnvironmentExclusions,
  withShellEnvironmentExclusions,
} from "./providers/codexSecrets.js";
export type { McpRunConfig, McpServers } from "./providers/codexSessionSettings.js";
export {
  EXEC_APPROVAL_POLICIES,
  httpMcpServerSchema,
  mcpServersSchema,
  REASONING_EFFORTS,
  SANDBOX_MODES,
  stdioMcpServerSchema,
  toMcpRunConfig,
  WEB_SEARCH_MODES,
} from "./providers/codexSessionSettings.js";
export type { EndFacts, StopReason } from "./providers/codexSettle.js";
export { settle } from "./providers/codexSettle.js";
export { threadUsageFromRollout, toUsageMetadata, turnUsage } from "./providers/codexThreadUsage.js";
export type { ParsedThreadEvent, UnknownItemEvent, UnknownThreadItem } from "./providers/codexWire.js";
export { parseThreadEvent } from "./providers/codexWire.js";
