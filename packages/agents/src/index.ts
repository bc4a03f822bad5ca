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
export type { CodexProviderOptions } from "./providers/codex.js";
export { CodexProvider } from "./providers/codex.js";
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
  FailureFacts,
} from "./providers/codexErrors.js";
export {
  CODEX_ERROR_CODES,
  CodexProviderError,
  classifyCodexFailure,
  createRedactor,
  redactSecrets,
} from "./providers/codexErrors.js";
export type {
  MapperContext,
  MapperState,
  ParsedThreadEvent,
  UnknownThreadItem,
} from "./providers/codexEvents.js";
export {
  createMapperState,
  finishThreadEvents,
  mapThreadEvent,
  parseThreadEvent,
} from "./providers/codexEvents.js";
export type {
  CodexClientFactory,
  CodexClientLike,
  CodexCommandOutput,
  CodexIo,
  CodexThreadLike,
  CodexTurnStream,
  LoginStatusOutput,
} from "./providers/codexIo.js";
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
  MAX_TIMEOUT_MS,
  parseRunOptions,
  providerRunOptionsSchema,
} from "./providers/codexOptions.js";
export type { ResolvedRetryPolicy, RetryDependencies, RetryPolicy } from "./providers/codexRetry.js";
export {
  computeRetryDelay,
  parseRetryPolicy,
  retryPolicySchema,
  runWithRetry,
} from "./providers/codexRetry.js";
export type {
  BootstrapDependencies,
  CodexAuthMode,
  CodexBinary,
  CodexBootstrap,
  CodexBootstrapErrorCode,
  CodexBootstrapper,
  CodexEnv,
} from "./providers/codexSdkBootstrap.js";
export {
  bootstrapCodex,
  CodexBootstrapError,
  createCodexBootstrap,
  interpretLoginStatus,
  resolveCodexBinary,
} from "./providers/codexSdkBootstrap.js";
