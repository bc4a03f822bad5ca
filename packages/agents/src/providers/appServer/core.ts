/** The one place the app-server modules import the provider core, so a rename there changes only these lines. */
export type { CodexBinary } from "../codexBinary.js";
export { resolveCodexBinary } from "../codexBinary.js";
export { classifyCodexFailure } from "../codexClassify.js";
export type { CodexErrorCode, CodexErrorDetailsInit } from "../codexError.js";
export { CodexProviderError } from "../codexError.js";
export type { AppServerExit, AppServerProcess, AppServerSpawnOptions, CodexIo } from "../codexIo.js";
export { readCodexVersion, realCodexIo, spawnAppServer } from "../codexIo.js";
export type { Exact } from "../exactType.js";
