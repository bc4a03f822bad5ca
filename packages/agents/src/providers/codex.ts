/// <reference lib="esnext.disposable" />
import type { CodexOptions, ThreadOptions } from "@openai/codex-sdk";
import type { AgentProvider, ProviderEvent } from "../provider.js";
import { AppServerPool } from "./appServer/client.js";
import {
  bootstrapCodex,
  type CodexBootstrap,
  type CodexBootstrapper,
  type CodexEnv,
} from "./codexBootstrap.js";
import { classifyCodexFailure, readable } from "./codexClassify.js";
import { CodexProviderError } from "./codexError.js";
import {
  type CodexClientFactory,
  createSdkClient,
  probeReadableFile,
  readAuthJson,
  readThreadRollout,
  realCodexIo,
} from "./codexIo.js";
import { createMapperState, type MapperContext, mapThreadEvent } from "./codexMapper.js";
import {
  type CodexConfigObject,
  type CodexProviderSettings,
  type PreparedRun,
  type ProviderRunOptions,
  parseProviderOptions,
  parseRunInput,
  type ResolvedProviderSettings,
} from "./codexOptions.js";
import { createRunRedactor, type RunRedactor } from "./codexRedaction.js";
import {
  collectSecrets,
  shellEnvironmentExclusions,
  withShellEnvironmentExclusions,
} from "./codexSecrets.js";
import { toMcpRunConfig } from "./codexSessionSettings.js";
import { type StopReason, settle } from "./codexSettle.js";
import { threadUsageFromRollout } from "./codexThreadUsage.js";

/** How long codex may take to exit after it reported a fatal error before the provider kills it (ms). */
export const FATAL_EXIT_GRACE_MS = 2000;

/** Constructor options of `CodexProvider`: settings plus injectable seams. */
export interface CodexProviderOptions extends CodexProviderSettings {
  /** Environment to read settings from and pass to codex; defaults to `process.env`. Values must be strings. */
  env?: CodexEnv;
  /** Resolves auth, config and the binary; defaults to the bundled-binary bootstrap. */
  bootstrap?: CodexBootstrapper;
  /** Creates the SDK client; defaults to `new Codex(options)` from `@openai/codex-sdk`. */
  createClient?: CodexClientFactory;
  /** Checks that the working directory exists; defaults to a file-system probe. */
  isDirectory?: (path: string) => boolean;
  /** Clock in ms; defaults to `Date.now`. */
  now?: () => number;
  /** Why a path cannot be read as a file (`undefined` when it can); checks `images`. Defaults to a file probe. */
  probeFile?: (path: string) => string | undefined;
  /** The text of a thread's rollout file in `CODEX_HOME`, `undefined` when unknown; defaults to a file search. */
  readThreadRollout?: (codexHome: string, threadId: string) => Promise<string | undefined>;
}

/**
 * The handle of one run: an async iterator of events that cannot hang. `return()` kills codex at once, even
 * while a `next()` is pending (that `next()` then settles as done); `throw(error)` tears down and rethrows
 * `error` unchanged; `await using` disposes it the same way.
 */
export interface CodexRun
  extends AsyncIterableIterator<ProviderEvent, undefined, undefined>,
    AsyncDisposable {
  /** The next event; rejects with one `CodexProviderError` when the run fails. */
  next(): Promise<IteratorResult<ProviderEvent, undefined>>;
  /** Stops the run: kills codex, waits for teardown, settles any pending `next()`. */
  return(): Promise<IteratorResult<ProviderEvent, undefined>>;
  /** Stops the run like `return()`, then rethrows the caller's error unchanged. */
  throw(error?: unknown): Promise<IteratorResult<ProviderEvent, undefined>>;
}

/** What one run shares between its stream and its handle. */
interface RunControl {
  readonly controller: AbortController;
  /** The first reason the provider stopped codex. */
  stop?: StopReason;
  /**
   * The run's redactor: built from env and config before anything runs (so validation and bootstrap errors are
   * redacted), rebuilt once the bootstrap resolved the key and, in CLI-login mode, `auth.json` was read.
   */
  redactor: RunRedactor;
}

function stopRun(control: RunControl, reason: StopReason): void {
  control.stop ??= reason;
  control.controller.abort();
}

const DONE: IteratorResult<ProviderEvent, undefined> = { done: true, value: undefined };
const ignore = (): void => undefined;
const NONE: readonly ProviderEvent[] = [];

/**
 * The per-event loop of a run. `#execute` sets the turn up, then yields one pump instead of each event: the run
 * handle reads the SDK's stream itself (one promise hop per event, where an async generator in between costs
 * three) and resumes `#execute` with a `StreamEnd` for teardown and settle.
 */
class EventPump {
  constructor(
    /** The SDK's event stream. */
    readonly events: AsyncGenerator<unknown>,
    /** Before each read: what the previous event called for (fail-fast, the fatal grace), the idle deadline. */
    readonly beforeRead: () => void,
    /** The events one raw event maps to; never throws. */
    readonly map: (raw: unknown) => readonly ProviderEvent[],
  ) {}
}

/** How the SDK's stream ended: done, or `failed` with what its `next()` threw. */
interface StreamEnd {
  failed: boolean;
  error?: unknown;
}
const STREAM_DONE: StreamEnd = { failed: false };

type RunSource = AsyncGenerator<ProviderEvent | EventPump, void, StreamEnd | undefined>;

/** The run handle; the single place every yielded event and thrown error passes the redactor. */
class CodexRunHandle implements CodexRun {
  readonly #source: RunSource | undefined;
  /** The input or option error the run failed with before it started. */
  readonly #invalid: CodexProviderError | undefined;
  readonly #control: RunControl;
  #pending: Promise<unknown> | undefined;
  /** True while a step is in flight: a `next()` called meanwhile waits for it, as on an async generator. */
  #busy = false;
  #closed = false;
  /** Set while the handle reads the SDK's stream itself. */
  #pump: EventPump | undefined;
  /** Mapped events of the last raw event not handed out yet (a tool's first `tool_use` and its result). */
  #queue: readonly ProviderEvent[] = NONE;
  #queued = 0;
  /** What `#source` is resumed with when the pump's stream ended. */
  #end: StreamEnd | undefined;

  constructor(source: RunSource | CodexProviderError, control: RunControl) {
    if (CodexProviderError.isInstance(source)) this.#invalid = source;
    else this.#source = source;
    this.#control = control;
  }

  next(): Promise<IteratorResult<ProviderEvent, undefined>> {
    if (this.#closed) return Promise.resolve(DONE);
    const source = this.#source;
    if (source === undefined) {
      this.#closed = true;
      return Promise.reject(this.#control.redactor.error(this.#invalid));
    }
    if (this.#busy) {
      const after = (this.#pending as Promise<unknown>).then(this.#again, this.#again);
      this.#pending = after;
      return after;
    }
    if (this.#queued < this.#queue.length) {
      return Promise.resolve(this.#emit(this.#queue[this.#queued++] as ProviderEvent));
    }
    // The handlers are bound once per run: the per-event path allocates no closures.
    let step: Promise<IteratorResult<ProviderEvent, undefined>>;
    const pump = this.#pump;
    if (pump === undefined) {
      const end = this.#end;
      this.#end = undefined;
      step = source.next(end).then(this.#onStep, this.#onFailure);
    } else {
      try {
        pump.beforeRead();
        step = Promise.resolve(pump.events.next()).then(this.#onRead, this.#onReadFailure);
      } catch (error) {
        step = Promise.reject(error).then(undefined, this.#onReadFailure);
      }
    }
    this.#busy = true;
    this.#pending = step;
    return step;
  }

  readonly #again = (): Promise<IteratorResult<ProviderEvent, undefined>> => this.next();

  /** Every event the run yields passes here: the one place events are redacted. */
  #emit(event: ProviderEvent): IteratorResult<ProviderEvent, undefined> {
    // Events are the mapper's and settle's own plain data (see `RunRedactor.built`).
    return { done: false, value: this.#control.redactor.built(event) };
  }

  readonly #onStep = (
    result: IteratorResult<ProviderEvent | EventPump, void>,
  ): IteratorResult<ProviderEvent, undefined> | Promise<IteratorResult<ProviderEvent, undefined>> => {
    this.#busy = false;
    if (result.done || this.#closed) {
      this.#closed = true;
      return DONE;
    }
    if (result.value instanceof EventPump) {
      this.#pump = result.value;
      return this.next();
    }
    return this.#emit(result.value);
  };

  /** One raw event read by the pump: its first mapped event now, the rest queued, none: the next read. */
  readonly #onRead = (
    result: IteratorResult<unknown>,
  ): IteratorResult<ProviderEvent, undefined> | Promise<IteratorResult<ProviderEvent, undefined>> => {
    this.#busy = false;
    if (this.#closed) return DONE;
    if (result.done) return this.#endStream(STREAM_DONE);
    let mapped: readonly ProviderEvent[];
    try {
      mapped = (this.#pump as EventPump).map(result.value);
    } catch (error) {
      return this.#endStream({ failed: true, error });
    }
    if (mapped.length === 0) return this.next();
    this.#queue = mapped;
    this.#queued = 1;
    return this.#emit(mapped[0] as ProviderEvent);
  };

  readonly #onReadFailure = (
    error: unknown,
  ): IteratorResult<ProviderEvent, undefined> | Promise<IteratorResult<ProviderEvent, undefined>> => {
    this.#busy = false;
    if (this.#closed) return DONE;
    return this.#endStream({ failed: true, error });
  };

  /** The SDK's stream ended: `#execute` takes over again (teardown, settle, the result or the error). */
  #endStream(end: StreamEnd): Promise<IteratorResult<ProviderEvent, undefined>> {
    this.#pump = undefined;
    this.#end = end;
    return this.next();
  }

  /** Every error the run throws passes here: the one place errors are redacted. */
  readonly #onFailure = (error: unknown): IteratorResult<ProviderEvent, undefined> => {
    this.#busy = false;
    const byConsumer = this.#closed;
    this.#closed = true;
    if (byConsumer) return DONE;
    throw this.#control.redactor.error(error);
  };

  async return(): Promise<IteratorResult<ProviderEvent, undefined>> {
    if (!this.#closed) {
      this.#closed = true;
      stopRun(this.#control, { kind: "consumer" });
    }
    await this.#pending?.then(ignore, ignore);
    await this.#source?.return(undefined).catch(() => undefined);
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ProviderEvent, undefined>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/** Drives OpenAI Codex through `@openai/codex-sdk` and emits provider-neutral events. */
export class CodexProvider implements AgentProvider<ProviderRunOptions> {
  /** Provider name. */
  readonly name = "codex";
  readonly #settings: ResolvedProviderSettings;
  readonly #env: CodexEnv;
  readonly #bootstrap: CodexBootstrapper;
  readonly #createClient: CodexClientFactory;
  readonly #isDirectory: (path: string) => boolean;
  readonly #now: () => number;
  readonly #probeFile: (path: string) => string | undefined;
  readonly #readThreadRollout: (codexHome: string, threadId: string) => Promise<string | undefined>;
  /** The app-servers of this provider (`transport: "app-server"`); none run until the first turn. */
  readonly #pool: AppServerPool;

  /** Validates every setting and seam eagerly: anything invalid throws `CODEX_INVALID_CONFIG` here. */
  constructor(options?: CodexProviderOptions) {
    const { settings, seams } = parseProviderOptions(options);
    this.#settings = settings;
    this.#env = seams.env ?? process.env;
    this.#bootstrap = (seams.bootstrap as CodexBootstrapper | undefined) ?? bootstrapCodex;
    const { onApproval, approvalTimeoutMs, appServerIdleMs } = settings;
    this.#pool = new AppServerPool({
      ...(onApproval ? { onApproval } : {}),
      ...(approvalTimeoutMs ? { approvalTimeoutMs } : {}),
      ...(appServerIdleMs ? { idleMs: appServerIdleMs } : {}),
    });
    this.#createClient =
      (seams.createClient as CodexClientFactory | undefined) ??
      (settings.transport === "app-server" ? this.#pool.createClient : createSdkClient);
    this.#isDirectory =
      (seams.isDirectory as ((path: string) => boolean) | undefined) ?? realCodexIo.isDirectory;
    this.#now = (seams.now as (() => number) | undefined) ?? Date.now;
    this.#probeFile = seams.probeFile ?? probeReadableFile;
    this.#readThreadRollout = seams.readThreadRollout ?? readThreadRollout;
  }

  /**
   * Runs one Codex turn. The handle yields normalized events ending in exactly one `result`, or rejects with one
   * `CodexProviderError`. Inputs are validated before anything spawns (errors surface on the first `next()`).
   */
  run(prompt: string, options: ProviderRunOptions): CodexRun {
    const startedAt = this.#now();
    const control: RunControl = {
      controller: new AbortController(),
      redactor: createRunRedactor(collectSecrets({ env: this.#env, config: this.#settings.config })),
    };
    let prepared: PreparedRun;
    try {
      prepared = parseRunInput(prompt, options, this.#settings.transport);
      const { workingDirectory, signal } = prepared.options;
      if (!this.#isDirectory(workingDirectory)) {
        throw new CodexProviderError({
          code: "CODEX_INVALID_OPTIONS",
          message: `Invalid run options: workingDirectory ${workingDirectory} is not an existing directory`,
          details: { path: ["workingDirectory"] },
        });
      }
      prepared.options.images?.forEach((image, index) => {
        const problem = this.#probeFile(image);
        if (problem !== undefined) {
          throw new CodexProviderError({
            code: "CODEX_INVALID_OPTIONS",
            message: `Invalid run options: images.${index}: ${image} ${problem}`,
            details: { path: ["images", String(index)], problem },
          });
        }
      });
      if (signal?.aborted) {
        throw new CodexProviderError({
          code: "CODEX_ABORTED",
          message:
            "Codex run was cancelled by the caller before it started (option `signal`); nothing was spawned.",
          details: { failureCode: "aborted" },
          cause: readable(signal.reason),
        });
      }
    } catch (error) {
      // Only typed errors are raised above, but a seam (`isDirectory`) may throw anything: classify it.
      const typed = CodexProviderError.isInstance(error) ? error : classifyCodexFailure({ error });
      return new CodexRunHandle(typed, control);
    }
    return new CodexRunHandle(this.#execute(prepared, control, startedAt), control);
  }

  /**
   * Stops the provider's app-servers (`transport: "app-server"`); their in-flight turns fail with
   * `CODEX_TRANSPORT_ERROR`, later runs fail too. A no-op for the exec transport. Idempotent.
   */
  close(): Promise<void> {
    return this.#pool.close();
  }

  /** `await using provider = new CodexProvider(...)`: `close()` at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async *#execute(prepared: PreparedRun, control: RunControl, startedAt: number): RunSource {
    const { input, options: runOptions } = prepared;
    let boot: CodexBootstrap;
    try {
      boot = await this.#bootstrap(this.#env);
    } catch (error) {
      // An injected bootstrap may throw anything; what leaves the run is always typed.
      throw classifyCodexFailure({ error });
    }
    const resumeThreadId = runOptions.resumeThreadId;
    const rollout =
      resumeThreadId === undefined
        ? undefined
        : await this.#readThreadRollout(boot.codexHome, resumeThreadId);
    if (resumeThreadId !== undefined && rollout === undefined) {
      throw new CodexProviderError({
        code: "CODEX_INVALID_OPTIONS",
        message: `Invalid run options: resumeThreadId: no thread ${resumeThreadId} in ${boot.codexHome}/sessions; resume needs the CODEX_HOME the thread ran with`,
        details: { path: ["resumeThreadId"], codexHome: boot.codexHome },
      });
    }
    // MCP servers of this run: config on argv, their secrets only in the child's env.
    const mcp = toMcpRunConfig(runOptions.mcpServers ?? {}, boot.childEnv);
    const userConfig = mergeMcpConfig(this.#settings.config ?? {}, mcp.config);
    const authJson = boot.authMode === "cli_login" ? await readAuthJson(boot.codexHome) : undefined;
    control.redactor = createRunRedactor([
      ...collectSecrets({ env: this.#env, config: userConfig, apiKey: boot.apiKey, authJson }),
      ...mcp.secrets,
    ]);
    // Keys stay out of the agent's shell unless the caller opted in (see the runbook's threat model).
    const shellConfig = this.#settings.inheritSecretsInShell
      ? userConfig
      : withShellEnvironmentExclusions(userConfig, [
          ...shellEnvironmentExclusions({ config: userConfig }),
          ...Object.keys(mcp.env),
        ]);
    const config = runOptions.systemPrompt
      ? { ...shellConfig, developer_instructions: runOptions.systemPrompt }
      : shellConfig;
    const clientOptions: CodexOptions = {
      codexPathOverride: boot.codexPath,
      env: Object.keys(mcp.env).length > 0 ? { ...boot.childEnv, ...mcp.env } : boot.childEnv,
      ...(boot.apiKey ? { apiKey: boot.apiKey } : {}),
      ...(boot.baseUrl ? { baseUrl: boot.baseUrl } : {}),
      ...(config && Object.keys(config).length > 0 ? { config } : {}),
    };
    const settings = this.#settings;
    const threadOptions: ThreadOptions = {
      model: settings.model ?? boot.model,
      workingDirectory: runOptions.workingDirectory,
      sandboxMode: settings.sandboxMode,
      approvalPolicy: settings.approvalPolicy,
      skipGitRepoCheck: settings.skipGitRepoCheck,
      ...(settings.modelReasoningEffort ? { modelReasoningEffort: settings.modelReasoningEffort } : {}),
      ...(settings.networkAccessEnabled !== undefined
        ? { networkAccessEnabled: settings.networkAccessEnabled }
        : {}),
      ...(settings.webSearchMode ? { webSearchMode: settings.webSearchMode } : {}),
      ...(settings.additionalDirectories ? { additionalDirectories: settings.additionalDirectories } : {}),
    };
    const context: MapperContext = {
      now: this.#now,
      startedAt,
      failFastReconnects: this.#settings.failFastReconnects,
      ...(this.#settings.maxToolOutputChars !== undefined
        ? { maxToolOutputChars: this.#settings.maxToolOutputChars }
        : {}),
      ...(rollout === undefined ? {} : { threadUsageBefore: threadUsageFromRollout(rollout) }),
      ...(runOptions.partialMessages ? { partialMessages: true } : {}),
    };

    // One controller owns the child's life: deadlines, the caller's signal, fail-fast and the consumer all stop it.
    const { signal: callerSignal, timeout, idleTimeout } = runOptions;
    const onAbort = () => stopRun(control, { kind: "abort", reason: callerSignal?.reason });
    callerSignal?.addEventListener("abort", onAbort, { once: true });
    if (callerSignal?.aborted) onAbort();
    const totalTimer =
      timeout === undefined
        ? undefined
        : setTimeout(
            () => stopRun(control, { kind: "timeout", timeoutKind: "total", timeoutMs: timeout }),
            timeout,
          );
    // The idle deadline measures codex's silence, not the time the consumer spends on an event: it only fires
    // while the provider waits for codex, and is re-armed before each wait.
    let waitingForCodex = true;
    const idleTimer =
      idleTimeout === undefined
        ? undefined
        : setTimeout(() => {
            if (waitingForCodex)
              stopRun(control, { kind: "timeout", timeoutKind: "idle", timeoutMs: idleTimeout });
          }, idleTimeout);
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const state = createMapperState();
    // A resumed run knows its thread before codex says so.
    if (resumeThreadId !== undefined) state.threadId = resumeThreadId;
    let events: AsyncGenerator<unknown> | undefined;
    let streamError: unknown;
    let processStarted = false;
    try {
      if (control.stop === undefined) {
        const client = this.#createClient(clientOptions);
        const thread =
          resumeThreadId === undefined
            ? client.startThread(threadOptions)
            : client.resumeThread(resumeThreadId, threadOptions);
        const turnOptions = {
          signal: control.controller.signal,
          redact: control.redactor.deep,
          ...(prepared.outputJsonSchema ? { outputSchema: prepared.outputJsonSchema } : {}),
        };
        events = (await thread.runStreamed(input, turnOptions)).events;
      }
      // The handle reads until the SDK's stream ends, i.e. codex exited: its exit code and stderr arrive only
      // then. It never calls the SDK's `return()`: our `finally` aborts first.
      if (events !== undefined) {
        processStarted = true;
        const end = yield new EventPump(
          events,
          () => {
            if (state.invalid !== undefined || state.stopNow) stopRun(control, { kind: "fail_fast" });
            else if (state.fatalMessage !== undefined && graceTimer === undefined) {
              graceTimer = setTimeout(() => stopRun(control, { kind: "grace" }), FATAL_EXIT_GRACE_MS);
            }
            waitingForCodex = true;
            idleTimer?.refresh();
          },
          (raw) => {
            waitingForCodex = false;
            return mapThreadEvent(raw, state, context);
          },
        );
        if (end?.failed) streamError = end.error;
      }
    } catch (error) {
      streamError ??= error;
    } finally {
      clearTimeout(totalTimer);
      clearTimeout(idleTimer);
      clearTimeout(graceTimer);
      callerSignal?.removeEventListener("abort", onAbort);
      control.controller.abort();
      await events?.return(undefined).catch(() => undefined);
    }
    if (control.stop?.kind === "consumer") return;
    const outcome = settle({
      state,
      streamError,
      stop: control.stop,
      processStarted,
      now: this.#now(),
      ...(runOptions.outputSchema === undefined ? {} : { outputSchema: runOptions.outputSchema }),
    });
    if (CodexProviderError.isInstance(outcome)) throw outcome;
    yield outcome;
  }
}

/** The user's `config` with this run's MCP servers added under `mcp_servers` (a run's server wins by name). */
function mergeMcpConfig(config: CodexConfigObject, mcp: CodexConfigObject): CodexConfigObject {
  const servers = mcp.mcp_servers;
  if (servers === undefined) return config;
  const existing = config.mcp_servers;
  const base = typeof existing === "object" && existing !== null && !Array.isArray(existing) ? existing : {};
  return { ...config, mcp_servers: { ...base, ...(servers as CodexConfigObject) } };
}
