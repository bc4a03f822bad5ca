import type { CodexOptions, ThreadOptions } from "@openai/codex-sdk";
import type { AgentProvider, ProviderEvent } from "../provider.js";
import { CodexProviderError } from "./codexErrors.js";
import {
  createMapperState,
  failThreadEvents,
  finishThreadEvents,
  type MapperContext,
  mapThreadEvent,
} from "./codexEvents.js";
import { type CodexClientFactory, createSdkClient, readAuthJson, realCodexIo } from "./codexIo.js";
import {
  buildTurnInput,
  type CodexProviderSettings,
  type ProviderRunOptions,
  parseProviderSettings,
  parseRunOptions,
  type ResolvedProviderSettings,
} from "./codexOptions.js";
import { createSecretRedactor, type SecretRedactor } from "./codexRedaction.js";
import { bootstrapCodex, type CodexBootstrapper, type CodexEnv } from "./codexSdkBootstrap.js";
import {
  collectSecrets,
  shellEnvironmentExclusions,
  withShellEnvironmentExclusions,
} from "./codexSecrets.js";

/** Constructor options of `CodexProvider`: settings plus injectable seams. */
export interface CodexProviderOptions extends CodexProviderSettings {
  /** Environment to read settings from and pass to codex; defaults to `process.env`. */
  env?: CodexEnv;
  /** Resolves auth, config and the binary; defaults to the bundled-binary bootstrap. */
  bootstrap?: CodexBootstrapper;
  /** Creates the SDK client; defaults to `new Codex(options)` from `@openai/codex-sdk`. */
  createClient?: CodexClientFactory;
  /** Checks that the working directory exists; defaults to a file-system probe. */
  isDirectory?: (path: string) => boolean;
  /** Clock in ms; defaults to `Date.now`. */
  now?: () => number;
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

  /** Validates settings eagerly: bad `config` or enums throw `CODEX_INVALID_CONFIG` here. */
  constructor(options: CodexProviderOptions = {}) {
    const { env, bootstrap, createClient, isDirectory, now, ...settings } = options;
    this.#settings = parseProviderSettings(settings);
    this.#env = env ?? process.env;
    this.#bootstrap = bootstrap ?? bootstrapCodex;
    this.#createClient = createClient ?? createSdkClient;
    this.#isDirectory = isDirectory ?? realCodexIo.isDirectory;
    this.#now = now ?? Date.now;
  }

  /**
   * Runs one Codex turn. Yields normalized events ending in exactly one `result`, or throws a
   * `CodexProviderError`. Breaking out of the loop, a timeout or a failure kills the codex process.
   */
  async *run(prompt: string, options: ProviderRunOptions): AsyncGenerator<ProviderEvent, void, undefined> {
    // Secrets chokepoint: every event yielded and every error thrown passes one redactor. It starts with what
    // env and config hold and is rebuilt once the bootstrap resolved the key (and auth.json in CLI-login mode).
    const secrets = {
      redactor: createSecretRedactor(collectSecrets({ env: this.#env, config: this.#settings.config })),
    };
    const turn = this.#turn(prompt, options, secrets);
    try {
      for (let next = await turn.next(); !next.done; next = await turn.next()) {
        yield secrets.redactor.deep(next.value);
      }
    } catch (error) {
      throw secrets.redactor.error(error);
    } finally {
      await turn.return(undefined);
    }
  }

  async *#turn(
    prompt: string,
    options: ProviderRunOptions,
    secrets: { redactor: SecretRedactor },
  ): AsyncGenerator<ProviderEvent, void, undefined> {
    const startedAt = this.#now();
    if (typeof prompt !== "string" || prompt.trim().length === 0) {
      throw new CodexProviderError({
        code: "CODEX_INVALID_OPTIONS",
        message: "Invalid prompt: run(prompt) needs a non-empty string",
        details: { path: ["prompt"] },
      });
    }
    const runOptions = parseRunOptions(options);
    if (!this.#isDirectory(runOptions.workingDirectory)) {
      throw new CodexProviderError({
        code: "CODEX_INVALID_OPTIONS",
        message: `Invalid run options: workingDirectory ${runOptions.workingDirectory} is not an existing directory`,
        details: { path: ["workingDirectory"] },
      });
    }
    const boot = await this.#bootstrap(this.#env);
    const authJson = boot.authMode === "cli_login" ? await readAuthJson(boot.codexHome) : undefined;
    const userConfig = this.#settings.config ?? {};
    secrets.redactor = createSecretRedactor(
      collectSecrets({ env: this.#env, config: userConfig, apiKey: boot.apiKey, authJson }),
    );
    const context: MapperContext = {
      now: this.#now,
      startedAt,
      redact: (text) => secrets.redactor.text(text),
      secrets: secrets.redactor.secrets,
    };

    const config = {
      ...(this.#settings.inheritSecretsInShell
        ? userConfig
        : withShellEnvironmentExclusions(userConfig, shellEnvironmentExclusions({ config: userConfig }))),
      ...(runOptions.systemPrompt ? { developer_instructions: runOptions.systemPrompt } : {}),
    };
    const clientOptions: CodexOptions = {
      codexPathOverride: boot.codexPath,
      env: boot.childEnv,
      ...(boot.apiKey ? { apiKey: boot.apiKey } : {}),
      ...(boot.baseUrl ? { baseUrl: boot.baseUrl } : {}),
      ...(Object.keys(config).length > 0 ? { config } : {}),
    };
    const threadOptions: ThreadOptions = {
      model: boot.model,
      workingDirectory: runOptions.workingDirectory,
      sandboxMode: this.#settings.sandboxMode,
      approvalPolicy: this.#settings.approvalPolicy,
      skipGitRepoCheck: this.#settings.skipGitRepoCheck,
      ...(this.#settings.modelReasoningEffort
        ? { modelReasoningEffort: this.#settings.modelReasoningEffort }
        : {}),
    };

    // One controller owns the child's life: a timeout, a consumer's break or a failure all abort it.
    const teardown = new AbortController();
    const timeoutSignal =
      runOptions.timeout === undefined ? undefined : AbortSignal.timeout(runOptions.timeout);
    const signal = AbortSignal.any(
      [teardown.signal, timeoutSignal, runOptions.signal].filter((entry) => entry !== undefined),
    );
    const state = createMapperState();
    let events: AsyncGenerator<unknown> | undefined;
    try {
      const thread = this.#createClient(clientOptions).startThread(threadOptions);
      events = (await thread.runStreamed(buildTurnInput(prompt, runOptions), { signal })).events;
      // Not `for await`: it would call the SDK's `return()` (which drops the child's listeners) before our
      // `finally` aborts, and the abort's "error" event would then crash the process.
      for (let next = await events.next(); !next.done; next = await events.next()) {
        yield* mapThreadEvent(next.value, state, context);
      }
      yield finishThreadEvents(state, context);
    } catch (error) {
      throw failThreadEvents(error, state, context, {
        timedOut: timeoutSignal?.aborted === true,
        ...(runOptions.timeout !== undefined ? { timeoutMs: runOptions.timeout } : {}),
      });
    } finally {
      teardown.abort();
      await events?.return(undefined).catch(() => undefined);
    }
  }
}
