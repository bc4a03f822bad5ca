/**
 * `@alphred/agents/testing`: seams for testing a runtime built on `@alphred/agents`, and the event mapper for
 * runtimes that drive `@openai/codex-sdk` themselves. Opt-in and versioned with the package, but kept apart from
 * the root API so the root stays small.
 *
 * @packageDocumentation
 */
export type { FailureFacts } from "./providers/codexErrors.js";
export { classifyCodexFailure } from "./providers/codexErrors.js";
export type { MapperContext, MapperState } from "./providers/codexEvents.js";
export {
  createMapperState,
  failThreadEvents,
  finishThreadEvents,
  mapThreadEvent,
} from "./providers/codexEvents.js";
export type { CodexIo, LoginStatusOutput } from "./providers/codexIo.js";
export type { BootstrapDependencies, CodexBinary } from "./providers/codexSdkBootstrap.js";
export {
  createCodexBootstrap,
  interpretLoginStatus,
  resolveCodexBinary,
} from "./providers/codexSdkBootstrap.js";
