/**
 * The one place the app-server modules import the provider core. The core is being split and renamed in
 * parallel (`codexErrors` → `codexError`/`codexClassify`, `codexSdkBootstrap` → `codexBootstrap`): when it lands,
 * only these lines change.
 */
export type { CodexErrorCode, CodexErrorDetailsInit } from "../codexErrors.js";
export { CodexProviderError } from "../codexErrors.js";
export type { AppServerExit, AppServerProcess, AppServerSpawnOptions, CodexIo } from "../codexIo.js";
export { readCodexVersion, realCodexIo, spawnAppServer } from "../codexIo.js";
export type { CodexBinary } from "../codexSdkBootstrap.js";
export { resolveCodexBinary } from "../codexSdkBootstrap.js";
