/**
 * `@alphred/agents/testing`: seams for testing a runtime built on `@alphred/agents`, and the pieces for runtimes
 * that drive `@openai/codex-sdk` themselves (event mapper, settle, failure classifier, secret collection, option
 * and bootstrap internals). Opt-in and versioned with the package, but kept apart from the root API so the root
 * stays small. Like the root, these declarations never import `@openai/codex-sdk`'s: the wire parser, whose result
 * type is the SDK's `ThreadEvent`, stays internal (`mapThreadEvent` runs it on each raw event).
 *
 * @packageDocumentation
 */
export type { CodexBinary } from "./providers/codexBinary.js";
export { CODEX_SDK_VERSION, resolveCodexBinary } from "./providers/codexBinary.js";
export type { BootstrapDependencies } from "./providers/codexBootstrap.js";
export { createCodexBootstrap, interpretLoginStatus } from "./providers/codexBootstrap.js";
export type { FailureFacts } from "./providers/codexClassify.js";
export { classifyCodexFailure } from "./providers/codexClassify.js";
export type { DoctorDependencies, DoctorIo } from "./providers/codexDoctor.js";
export { createCodexDoctor, maskSecret, parseModelCatalog } from "./providers/codexDoctor.js";
export type { CodexCommandOutput, CodexIo, LoginStatusOutput } from "./providers/codexIo.js";
export type { MapperContext, MapperState } from "./providers/codexMapper.js";
export { createMapperState, mapThreadEvent } from "./providers/codexMapper.js";
export type { PreparedRun, ResolvedRunOptions } from "./providers/codexOptions.js";
export { codexConfigSchema, parseRunInput, parseRunOptions } from "./providers/codexOptions.js";
export type { StructuredOutputResult } from "./providers/codexOutputSchema.js";
export { parseStructuredOutput, toStrictJsonSchema } from "./providers/codexOutputSchema.js";
export type { ResolvedRetryPolicy } from "./providers/codexRetry.js";
export { computeRetryDelay, parseRetryPolicy } from "./providers/codexRetry.js";
export type { ConfigObject, SecretEnv, SecretSources } from "./providers/codexSecrets.js";
export {
  API_KEY_ENV_VARS,
  collectSecrets,
  shellEnvironmentExclusions,
  withShellEnvironmentExclusions,
} from "./providers/codexSecrets.js";
export type { McpRunConfig } from "./providers/codexSessionSettings.js";
export {
  httpMcpServerSchema,
  stdioMcpServerSchema,
  toMcpRunConfig,
} from "./providers/codexSessionSettings.js";
export type { EndFacts, StopReason } from "./providers/codexSettle.js";
export { settle } from "./providers/codexSettle.js";
export type { WireUsage } from "./providers/codexThreadUsage.js";
export { threadUsageFromRollout, toUsageMetadata, turnUsage } from "./providers/codexThreadUsage.js";
