export type { Emulator, EmulatorOptions } from "./emulator.js";
export { NO_SCRIPT_MESSAGE, startEmulator } from "./emulator.js";
export type { Fault, HttpAnswer } from "./faults.js";
export { CONTEXT_LENGTH_MESSAGE, INSUFFICIENT_QUOTA_BODY, isFault } from "./faults.js";
export type { HermeticRun, HermeticRunOptions } from "./hermetic.js";
export { createHermeticRun, DEFAULT_API_KEY, DEFAULT_MODEL, NO_BACKGROUND_EGRESS_TOML } from "./hermetic.js";
export type { CustomProviderOptions } from "./providerConfig.js";
export { customProviderConfig } from "./providerConfig.js";
export type { RecordedRequest, TranscriptEntry } from "./request.js";
export {
  countToolOutputs,
  inputImagesOf,
  lastUserPrompt,
  textFormatOf,
  transcriptOf,
} from "./request.js";
export type { IdSource, OutputItem, ScriptedResponse, SseEvent, Step, Turn, UsageFigures } from "./script.js";
export {
  createIdSource,
  DEFAULT_MESSAGE,
  DEFAULT_TURN,
  DEFAULT_USAGE,
  frameSse,
  renderItem,
  renderUsage,
  responseEvents,
} from "./script.js";
export type { ScriptSelector } from "./selector.js";
export { byMarker } from "./selector.js";
