import { createHash } from "node:crypto";
import type { ThreadEvent } from "@openai/codex-sdk";
import type {
  CodexClientLike,
  CodexClientOptions,
  CodexThreadLike,
  CodexThreadOptions,
  CodexTurnInput,
  CodexTurnOptions,
  CodexTurnStream,
} from "../codexIo.js";
import {
  type CodexApprovalHandler,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  decideApproval,
  toApprovalRequest,
} from "./approvals.js";
import { AppServerConnection, type AppServerSpawner, type ThreadRoute } from "./connection.js";
import { CodexProviderError, classifyCodexFailure } from "./core.js";
import { createTurnTranslation, type TurnTranslation, translateNotification } from "./translate.js";
import { parseResult, threadStartResultSchema, turnStartResultSchema } from "./wire.js";

/**
 * The app-server transport behind the SDK seam: a `CodexClientLike` whose threads run turns on a shared, warm
 * `codex app-server` and stream the SDK's own `ThreadEvent`s, so the provider's mapper, settle point and redactor
 * apply unchanged. The pool owns the processes: one per binary + environment, started lazily, stopped after idle,
 * on `close()`, and replaced after a crash.
 */

/** Default idle time after which an app-server with no turn in flight is stopped (ms). */
export const DEFAULT_APP_SERVER_IDLE_MS = 300_000;
/** How long `turn/interrupt` and `thread/backgroundTerminals/clean` may take before the process is killed (ms). */
export const STOP_TURN_TIMEOUT_MS = 2000;
/** Provider id of the custom model provider that reads the API key from the child env (`env_key`). */
export const API_KEY_PROVIDER_ID = "alphred_openai";
const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
/**
 * Spare threads kept per set of thread parameters. They start at a quiet moment, when no turn has been in flight
 * for `SPARE_QUIET_MS` (a `thread/start` beside a running turn slows that turn by ~10 ms); two, so that back-to-back
 * runs take a spare started before either of them instead of starting their own.
 */
export const SPARE_THREADS = 2;

/** Options of an {@link AppServerPool}. */
export interface AppServerPoolOptions {
  /** Stop a process after this long with no turn in flight (ms). */
  idleMs?: number;
  /** Answers approval requests; without it every request is declined. */
  onApproval?: CodexApprovalHandler;
  /** Time `onApproval` has to answer before the request is declined (ms). */
  approvalTimeoutMs?: number;
  /** Spawns `codex app-server`; defaults to the real spawn. */
  spawn?: AppServerSpawner;
  /** Quiet time with no turn in flight before spare threads start (ms); default `SPARE_QUIET_MS`. */
  spareQuietMs?: number;
}

interface Slot {
  connection: Promise<AppServerConnection>;
  leases: number;
  idleTimer?: ReturnType<typeof setTimeout>;
}

const abortError = (): Error => {
  const error = new Error("The operation was aborted");
  error.name = "AbortError";
  return error;
};

const closedPoolError = () =>
  new CodexProviderError({
    code: "CODEX_TRANSPORT_ERROR",
    message:
      "The CodexProvider was closed (close() / Symbol.asyncDispose); create a new provider to run again.",
    details: { failureCode: "provider_closed" },
    retryable: false,
  });

/** Runs `promise` but rejects with an AbortError as soon as `signal` aborts. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The app-servers of one provider. */
export class AppServerPool {
  readonly #options: AppServerPoolOptions;
  readonly #slots = new Map<string, Slot>();
  #closed = false;

  constructor(options: AppServerPoolOptions = {}) {
    this.#options = options;
  }

  /** The `CodexClientFactory` of this pool: what `CodexProvider` calls with the SDK's options. */
  readonly createClient = (options: CodexClientOptions): AppServerClient =>
    new AppServerClient(this, options);

  /** Number of processes running or starting. */
  get size(): number {
    return this.#slots.size;
  }

  /** The connections of the running processes (one still starting is awaited; one that failed to start is left out). */
  async connections(): Promise<AppServerConnection[]> {
    const settled = await Promise.allSettled([...this.#slots.values()].map((slot) => slot.connection));
    return settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  }

  /** The options the pool was made with. */
  get options(): Readonly<AppServerPoolOptions> {
    return this.#options;
  }

  /**
   * A connection for this binary and environment, started if needed, and a release function; the process is not
   * stopped for idleness while leased.
   */
  async lease(codexPath: string, env: Record<string, string>): Promise<[AppServerConnection, () => void]> {
    if (this.#closed) throw closedPoolError();
    const key = JSON.stringify([codexPath, Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))]);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      const created: Slot = { leases: 0, connection: Promise.resolve() as never };
      created.connection = AppServerConnection.open({
        codexPath,
        env,
        ...(this.#options.spawn ? { spawn: this.#options.spawn } : {}),
        ...(this.#options.spareQuietMs === undefined ? {} : { spareQuietMs: this.#options.spareQuietMs }),
        onExit: () => {
          // A crashed or stopped process leaves the pool: the next turn starts a fresh one.
          if (this.#slots.get(key) === created) this.#slots.delete(key);
          clearTimeout(created.idleTimer);
        },
      });
      created.connection.catch(() => {
        if (this.#slots.get(key) === created) this.#slots.delete(key);
      });
      this.#slots.set(key, created);
      slot = created;
    }
    const current = slot;
    current.leases += 1;
    clearTimeout(current.idleTimer);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      current.leases -= 1;
      if (current.leases > 0 || this.#slots.get(key) !== current) return;
      current.idleTimer = setTimeout(() => {
        if (current.leases > 0 || this.#slots.get(key) !== current) return;
        this.#slots.delete(key);
        void current.connection.then((connection) => connection.stop()).catch(() => undefined);
      }, this.#options.idleMs ?? DEFAULT_APP_SERVER_IDLE_MS);
      current.idleTimer.unref?.();
    };
    try {
      const connection = await current.connection;
      connection.keepAlive(true);
      return [
        connection,
        () => {
          if (!released && current.leases === 1) connection.keepAlive(false);
          release();
        },
      ];
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Stops every process (their in-flight turns fail with `CODEX_TRANSPORT_ERROR`); later leases fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        clearTimeout(slot.idleTimer);
        const connection = await slot.connection.catch(() => undefined);
        await connection?.stop();
      }),
    );
  }
}

/** A turn on the app-server: the stream carries the SDK's own `ThreadEvent` shapes (a `CodexTurnStream`). */
export interface AppServerTurnStream extends CodexTurnStream {
  /** Thread events in the SDK's shapes, in order. */
  events: AsyncGenerator<ThreadEvent>;
}

/** A thread on the pool's app-servers (a `CodexThreadLike`). */
export interface AppServerThreadLike extends CodexThreadLike {
  /** Starts a turn on a leased app-server and streams its events. */
  runStreamed(input: CodexTurnInput, turnOptions?: CodexTurnOptions): Promise<AppServerTurnStream>;
}

/** The client the provider sees: threads on the pool's app-servers. */
export class AppServerClient implements CodexClientLike {
  constructor(
    readonly pool: AppServerPool,
    readonly options: CodexClientOptions,
  ) {}

  startThread(options: CodexThreadOptions = {}): AppServerThreadLike {
    return new AppServerThread(this, options, undefined);
  }

  /** Continues a thread by id (`thread/resume` on the process, unless it already holds the thread). */
  resumeThread(threadId: string, options: CodexThreadOptions = {}): AppServerThreadLike {
    return new AppServerThread(this, options, threadId);
  }
}

/** The thread-level `config`: the user's overrides, key delivery, and the key kept out of the agent's shell. */
export function appServerThreadConfig(
  options: CodexClientOptions,
  threadOptions: CodexThreadOptions,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(options.config ?? {}) };
  if (threadOptions.modelReasoningEffort) config.model_reasoning_effort = threadOptions.modelReasoningEffort;
  // The thread settings `codex exec` takes as flags (the SDK's `--config` / `--add-dir`), as the same config keys.
  if (threadOptions.webSearchMode) config.web_search = threadOptions.webSearchMode;
  const { networkAccessEnabled, additionalDirectories } = threadOptions;
  if (networkAccessEnabled !== undefined || additionalDirectories?.length) {
    const workspace = { ...(config.sandbox_workspace_write as Record<string, unknown> | undefined) };
    if (networkAccessEnabled !== undefined) workspace.network_access = networkAccessEnabled;
    if (additionalDirectories?.length) {
      const roots = Array.isArray(workspace.writable_roots) ? workspace.writable_roots : [];
      workspace.writable_roots = [...roots, ...additionalDirectories];
    }
    config.sandbox_workspace_write = workspace;
  }
  if (options.apiKey && config.model_provider === undefined) {
    // The built-in `openai` provider ignores key env vars on app-server; a custom provider with `env_key` reads
    // the key from the process env: nothing on argv, nothing written to CODEX_HOME.
    config.model_provider = API_KEY_PROVIDER_ID;
    config.model_providers = {
      ...(config.model_providers as Record<string, unknown> | undefined),
      [API_KEY_PROVIDER_ID]: {
        name: "OpenAI (API key)",
        base_url: options.baseUrl ?? DEFAULT_OPENAI_BASE_URL,
        wire_api: "responses",
        env_key: "CODEX_API_KEY",
      },
    };
  } else if (options.baseUrl && config.openai_base_url === undefined) {
    config.openai_base_url = options.baseUrl;
  }
  // The key's variable (`env_key = "CODEX_API_KEY"`) is kept out of the agent's shell by the provider's own
  // `shell_environment_policy.exclude` (unless `inheritSecretsInShell`), as on exec: one place for both transports.
  return config;
}

/**
 * The key of a spare thread: a digest of its `thread/start` params. The params can hold a 1 MB `systemPrompt`
 * (`developer_instructions`): as a Map key its JSON would stay in memory per parameter set (~2.8 MB for 1 MiB of
 * non-Latin-1 text), and every V8 string over 16,383 characters of one length hashes alike, so lookups would compare
 * them in full; the digest costs ~2 ms per MB on top of the ~6 ms `JSON.stringify`.
 */
export function spareKey(params: unknown): string {
  return createHash("sha256").update(JSON.stringify(params)).digest("base64");
}

/** The app-server's turn input for the SDK's `Input`. */
export function appServerInput(input: CodexTurnInput): unknown[] {
  const parts = typeof input === "string" ? [{ type: "text" as const, text: input }] : input;
  return parts.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text, text_elements: [] }
      : { type: "localImage", path: part.path },
  );
}

class AppServerThread implements AppServerThreadLike {
  #threadId: string | undefined;
  /** Prepares the spare threads for the next runs; runs once this run's turn has ended. */
  #afterTurn: (() => void) | undefined;
  #total: TurnTranslation["total"];

  constructor(
    readonly client: AppServerClient,
    readonly options: CodexThreadOptions,
    threadId: string | undefined,
  ) {
    this.#threadId = threadId;
  }

  /** The thread id once the first turn started it. */
  get id(): string | null {
    return this.#threadId ?? null;
  }

  async runStreamed(input: CodexTurnInput, turnOptions: CodexTurnOptions = {}): Promise<AppServerTurnStream> {
    const { signal } = turnOptions;
    const { options, pool } = this.client;
    const env = { ...(options.env ?? {}) };
    if (options.apiKey) env.CODEX_API_KEY = options.apiKey;
    const leasing = pool.lease(options.codexPathOverride ?? "codex", env);
    let leased: [AppServerConnection, () => void];
    try {
      leased = await raceSignal(leasing, signal);
    } catch (error) {
      // Aborted while the process starts: give the lease back once it arrives, or the process never idles.
      leasing.then(
        ([, release]) => release(),
        () => undefined,
      );
      throw error;
    }
    const [connection, release] = leased;
    // The turn counts from the moment the run has its thread, so the thread is never unloaded before turn/start.
    const opening = this.#open(connection);
    let threadId: string;
    try {
      threadId = await raceSignal(opening, signal);
    } catch (error) {
      opening.then(
        (id) => connection.endTurn(id),
        () => undefined,
      );
      release();
      throw error;
    }
    const events = this.#events(connection, release, threadId, input, turnOptions);
    return {
      events: closedBeforeStart(events, () => {
        connection.endTurn(threadId);
        release();
      }),
    };
  }

  /**
   * Starts the thread, or resumes it on a process that does not hold it (never held, unloaded, or a new process:
   * one writer per thread); resolves once its turn has begun on the connection (`beginTurn`).
   */
  async #open(connection: AppServerConnection): Promise<string> {
    if (this.#threadId !== undefined && connection.holds(this.#threadId)) {
      connection.beginTurn(this.#threadId);
      return this.#threadId;
    }
    const params = {
      cwd: this.options.workingDirectory ?? null,
      model: this.options.model ?? null,
      approvalPolicy: this.options.approvalPolicy ?? null,
      sandbox: this.options.sandboxMode ?? null,
      config: appServerThreadConfig(this.client.options, this.options),
    };
    if (this.#threadId !== undefined) {
      // An unloading thread cannot be resumed until the app-server closed it.
      await connection.unloaded(this.#threadId);
      const result = await connection
        .request("thread/resume", { threadId: this.#threadId, ...params })
        .catch((error: unknown) => {
          throw refusal(error);
        });
      this.#threadId = parseResult("thread/resume", threadStartResultSchema, result).thread.id;
      connection.beginTurn(this.#threadId);
      return this.#threadId;
    }
    // A new thread comes from a spare started after an earlier run with the same parameters (threads are persisted
    // only at their first turn, so an unused spare leaves nothing behind); the next spares start at the process's
    // next quiet moment (`SPARE_QUIET_MS` with no turn in flight), so they never compete with a turn.
    const start = () =>
      connection.request("thread/start", params).catch((error: unknown) => {
        throw refusal(error);
      });
    const key = spareKey(params);
    const spare = connection.takeSpare(key);
    const result = (spare && (await spare.catch(() => undefined))) ?? (await start());
    this.#afterTurn = () => connection.keepSpares(key, SPARE_THREADS, start);
    this.#threadId = parseResult("thread/start", threadStartResultSchema, result).thread.id;
    connection.beginTurn(this.#threadId);
    return this.#threadId;
  }

  async *#events(
    connection: AppServerConnection,
    release: () => void,
    threadId: string,
    input: CodexTurnInput,
    turnOptions: CodexTurnOptions,
  ): AsyncGenerator<ThreadEvent> {
    const { signal } = turnOptions;
    const translation = createTurnTranslation(threadId, this.#total);
    const queue: ThreadEvent[] = [];
    let failure: CodexProviderError | undefined;
    let wake: (() => void) | undefined;
    const poke = () => {
      const resume = wake;
      wake = undefined;
      resume?.();
    };
    const { onApproval, approvalTimeoutMs } = this.client.pool.options;
    const redact = turnOptions.redact ?? (<T>(value: T): T => value);
    const route: ThreadRoute = {
      onNotification: (notification) => {
        const events = translateNotification(notification, translation);
        for (let index = 0; index < events.length; index++) queue.push(events[index] as ThreadEvent);
        poke();
      },
      onFailure: (error) => {
        failure ??= error;
        poke();
      },
      // The caller's handler sees the request through the run's redactor, like every event of the run.
      onApproval: (request) =>
        decideApproval(
          onApproval,
          redact(toApprovalRequest(request)),
          approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
        ),
    };
    signal?.addEventListener("abort", poke);
    connection.attach(threadId, route);
    /** `turn/start` while it is unanswered: an abort does not wait for it (a busy app-server answers late). */
    let starting: Promise<unknown> | undefined;
    try {
      yield { type: "thread.started", thread_id: threadId };
      starting = connection.request("turn/start", {
        threadId,
        input: appServerInput(input),
        ...(turnOptions.outputSchema === undefined ? {} : { outputSchema: turnOptions.outputSchema }),
      });
      const answer = await raceSignal(starting, signal).catch((error: unknown) => {
        // Refused, or the process ended: no turn started. Only an abort leaves it to answer later.
        if (!signal?.aborted) starting = undefined;
        throw error;
      });
      starting = undefined;
      const started = parseResult("turn/start", turnStartResultSchema, answer);
      translation.turnId = started.turn.id; // the answer is authoritative over any notification before it
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift() as ThreadEvent;
          continue;
        }
        if (failure !== undefined) throw failure;
        if (translation.status !== undefined) return;
        if (signal?.aborted) throw abortError();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener("abort", poke);
      const settleTurn = async () => {
        // Aborted before `turn/start` was answered: the turn may still start. Its id is awaited (bounded) so it is
        // stopped like any other; a process that never answers is killed. The thread and lease stay held until then.
        if (starting !== undefined) {
          const late = await lateTurnId(starting);
          if (late === null) connection.kill();
          else if (late !== undefined) translation.turnId = late;
        }
        // A turn still running (abort, break, a malformed message) is stopped; on a dead process this is a no-op.
        if (translation.status === undefined && translation.turnId !== undefined) {
          await stopTurn(connection, translation);
        }
        this.#total = translation.total;
        // Only after a turn that started: a refused turn/start leaves the process as it was.
        if (translation.turnId !== undefined) this.#afterTurn?.();
        this.#afterTurn = undefined;
        connection.endTurn(threadId);
        connection.detach(threadId, route);
        release();
      };
      // The caller's abort ends the read at once, even with `turn/start` unanswered; the rest settles behind it.
      if (starting === undefined) await settleTurn();
      else void settleTurn();
    }
  }
}

/**
 * `events` whose `return()`/`throw()` before the first `next()` still runs `abandon`: a generator that never started
 * skips its `finally`, which gives the turn's thread and lease back.
 */
function closedBeforeStart<T>(events: AsyncGenerator<T>, abandon: () => void): AsyncGenerator<T> {
  let started = false;
  let abandoned = false;
  const settle = () => {
    if (started || abandoned) return;
    abandoned = true;
    abandon();
  };
  const wrapper: AsyncGenerator<T> = {
    next: (...args) => {
      if (!abandoned) started = true;
      return events.next(...args);
    },
    return: (value) => {
      settle();
      return events.return(value);
    },
    throw: (error) => {
      settle();
      return events.throw(error);
    },
    [Symbol.asyncIterator]: () => wrapper,
    [Symbol.asyncDispose]: async () => {
      await wrapper.return(undefined);
    },
  };
  return wrapper;
}

/**
 * The id of a turn whose `turn/start` was still unanswered when its run was aborted: `undefined` when codex refused
 * it (no turn), `null` when codex did not answer within {@link STOP_TURN_TIMEOUT_MS}.
 */
async function lateTurnId(starting: Promise<unknown>): Promise<string | null | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STOP_TURN_TIMEOUT_MS);
  });
  const answered = starting.then(
    (answer) => turnStartResultSchema.safeParse(answer).data?.turn.id,
    () => undefined,
  );
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A refused `thread/start` or `thread/resume` as the caller's mistake when codex says why, as on exec: no such
 * thread in this `CODEX_HOME` or another process holds it (`thread_not_found` / `thread_in_use`), a `config` codex
 * cannot load (`CODEX_INVALID_CONFIG`); else unchanged.
 */
function refusal(error: unknown): unknown {
  if (!CodexProviderError.isInstance(error) || error.details.failureCode !== "rpc_error") return error;
  const upstream = error.details.upstreamMessage;
  const classified = classifyCodexFailure({ message: typeof upstream === "string" ? upstream : "", error });
  return classified.code === "CODEX_INVALID_OPTIONS" || classified.code === "CODEX_INVALID_CONFIG"
    ? classified
    : error;
}

/**
 * Ends a turn the consumer no longer wants: `turn/interrupt`, then `thread/backgroundTerminals/clean` (an interrupt
 * alone leaves a running command alive). If either fails or times out, the process is killed (its sandboxed
 * commands die with it; other threads' turns on it fail with `CODEX_TRANSPORT_ERROR`) and the pool restarts it.
 */
async function stopTurn(connection: AppServerConnection, translation: TurnTranslation): Promise<void> {
  const { threadId, turnId } = translation;
  const bounded = { timeoutMs: STOP_TURN_TIMEOUT_MS };
  try {
    await connection.request("turn/interrupt", { threadId, turnId }, bounded).catch((error: unknown) => {
      // The turn may have ended on its own meanwhile: the server then refuses the interrupt, which is fine.
      if (!(CodexProviderError.isInstance(error) && error.code === "CODEX_INTERNAL_ERROR")) throw error;
    });
    await connection.request("thread/backgroundTerminals/clean", { threadId }, bounded);
  } catch {
    connection.kill();
  }
}
