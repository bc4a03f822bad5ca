import { z } from "zod";
import { type AppServerExit, type AppServerProcess, CodexProviderError, spawnAppServer } from "./core.js";
import { createJsonRpcClient, type JsonRpcClient, type RequestOptions } from "./jsonRpc.js";
import { assertSupportedAppServerVersion } from "./version.js";
import {
  type ApprovalDecision,
  initializeResultSchema,
  parseNotification,
  parseResult,
  parseServerRequest,
  threadStartResultSchema,
  type WireNotification,
  type WireServerRequest,
} from "./wire.js";

/** Where a thread's messages go while one of its turns runs. */
export interface ThreadRoute {
  /** A validated notification of the thread. */
  onNotification(notification: WireNotification): void;
  /** A consumed message of the thread that failed validation, or the end of the process. */
  onFailure(error: CodexProviderError): void;
  /** An approval request of the thread; the promise must never reject. */
  onApproval(request: WireServerRequest): Promise<ApprovalDecision>;
}

/** Starts `codex app-server`; the seam tests replace. */
export type AppServerSpawner = typeof spawnAppServer;

/** Options of {@link openAppServerConnection}. */
export interface ConnectionOptions {
  /** The codex binary. */
  codexPath: string;
  /** The complete child environment (the API key travels here, never on argv). */
  env: Record<string, string>;
  /** Spawns the process; defaults to {@link spawnAppServer}. */
  spawn?: AppServerSpawner;
  /** Called once when the process ended, for whatever reason. */
  onExit?: (exit: AppServerExit) => void;
  /** Quiet time with no turn in flight before spare threads start (ms); default {@link SPARE_QUIET_MS}. */
  spareQuietMs?: number;
}

/**
 * Spare threads start once the process has had no turn in flight for this long (ms): a `thread/start` beside a
 * running turn slows that turn by ~10 ms, and a conversation's next turn usually follows its last within a few ms.
 */
export const SPARE_QUIET_MS = 50;

/**
 * Idle threads (no turn in flight) a process keeps loaded, the most recently used ones: a conversation's next turn
 * on one of them is a warm turn. An older idle thread is unloaded (`thread/unsubscribe`); its next turn resumes it
 * first (`thread/resume`, ~35 ms more). Each loaded thread holds ~1.3 MB of the app-server's memory (~14–30 MB with a
 * 1 MiB `systemPrompt`), so the process stays bounded however many conversations a long-lived provider runs.
 */
export const MAX_IDLE_THREADS = 16;

/**
 * Parameter sets (digests of `thread/start` params) that keep spare threads: the most recently used ones. When a
 * set falls out, its started spares are unloaded (an unused spare leaves nothing on disk).
 */
export const MAX_SPARE_SETS = 4;

/** How long the next turn of an unloading thread waits for its `thread/closed` before resuming anyway (ms). */
export const UNLOAD_WAIT_MS = 2000;

/**
 * Flags on argv: `--disable plugins` keeps the process from syncing a plugin catalog over the network;
 * `thread_unload_delay_secs=0` makes the app-server unload a thread as soon as its last subscriber unsubscribed
 * (the default keeps it loaded for a long delay, so `thread/unsubscribe` alone would free nothing).
 */
export const APP_SERVER_ARGS = ["--disable", "plugins", "-c", "thread_unload_delay_secs=0"] as const;

/** The answer to `thread/unsubscribe` (0.163: `ThreadUnsubscribeResponse`). */
const unsubscribeResultSchema = z.looseObject({
  status: z.enum(["notLoaded", "notSubscribed", "unsubscribed"]),
});
/** Name the client reports in `initialize` (the app-server echoes it in its `userAgent`). */
const CLIENT_NAME = "alphred_agents";
/** How long a stopping process may take to exit after its stdin closed before it is killed (ms). */
export const EXIT_GRACE_MS = 2000;

/** One running `codex app-server` and its JSON-RPC client, with messages routed to threads by `threadId`. */
export class AppServerConnection {
  readonly #process: AppServerProcess;
  readonly #client: JsonRpcClient;
  readonly #routes = new Map<string, ThreadRoute>();
  /**
   * Threads this process holds (it is their one writer), least recently used first, each with its turns in flight
   * (a turn counts from the moment its run has the thread until the turn ended).
   */
  readonly #threads = new Map<string, number>();
  /** Threads being unloaded: settled by their `thread/closed`, a refused or failed unsubscribe, or the process end. */
  readonly #unloading = new Map<string, () => void>();
  readonly #unloaded = new Map<string, Promise<void>>();
  /** Started, unused threads per `thread/start` parameters (oldest first), ready for the next runs. */
  readonly #spares = new Map<string, Promise<unknown>[]>();
  /** Spare counts asked for per parameters, with how to start one; filled at the next quiet moment. */
  readonly #wanted = new Map<string, { count: number; start: () => Promise<unknown> }>();
  /** Parameter sets with spares, least recently used first (at most {@link MAX_SPARE_SETS}). */
  readonly #spareSets = new Set<string>();
  /** Turns in flight on this process. */
  #turns = 0;
  #spareTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #spareQuietMs: number;

  private constructor(options: ConnectionOptions) {
    this.#spareQuietMs = options.spareQuietMs ?? SPARE_QUIET_MS;
    this.#process = (options.spawn ?? spawnAppServer)(options.codexPath, {
      env: options.env,
      args: APP_SERVER_ARGS,
    });
    this.#client = createJsonRpcClient({
      transport: this.#process,
      onNotification: (method, params) => this.#onNotification(method, params),
      onServerRequest: (request) => {
        let parsed: WireServerRequest | undefined;
        try {
          parsed = parseServerRequest(request.method, request.params);
        } catch {
          request.replyError({ code: -32602, message: `invalid params of ${request.method}` });
          return;
        }
        if (parsed === undefined) {
          request.replyError({ code: -32601, message: `client does not handle ${request.method}` });
          return;
        }
        const route = this.#routes.get(parsed.params.threadId);
        const decision = route ? route.onApproval(parsed) : Promise.resolve<ApprovalDecision>("decline");
        void decision.then((value) => request.reply({ decision: value }));
      },
    });
    this.#process.onClose((exit) => {
      clearTimeout(this.#spareTimer);
      this.#wanted.clear();
      for (const settle of [...this.#unloading.values()]) settle();
      const error = exitError(exit, this.#process.stderrTail());
      for (const route of [...this.#routes.values()]) route.onFailure(error);
      this.#routes.clear();
      options.onExit?.(exit);
    });
  }

  /** Spawns the process, runs `initialize` and the version gate; kills the process if either fails. */
  static async open(options: ConnectionOptions): Promise<AppServerConnection> {
    const connection = new AppServerConnection(options);
    try {
      const init = parseResult(
        "initialize",
        initializeResultSchema,
        await connection.request("initialize", {
          clientInfo: { name: CLIENT_NAME, title: null, version: "0.1.0" },
          capabilities: { experimentalApi: true },
        }),
      );
      assertSupportedAppServerVersion(init.userAgent);
      connection.#client.notify("initialized");
      return connection;
    } catch (error) {
      connection.kill();
      throw error;
    }
  }

  /** Sends a request (see `JsonRpcClient.request`). */
  request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown> {
    return this.#client.request(method, params, options);
  }

  /** Whether this process holds the thread (else a turn on it must `thread/resume` it first). */
  holds(threadId: string): boolean {
    return this.#threads.has(threadId);
  }

  /** Settles once a pending unload of the thread ended (the app-server refuses to resume a closing thread). */
  unloaded(threadId: string): Promise<void> {
    return this.#unloaded.get(threadId) ?? Promise.resolve();
  }

  /** The oldest spare `thread/start` result for these parameters, if one was prepared (each is handed out once). */
  takeSpare(key: string): Promise<unknown> | undefined {
    const spares = this.#spares.get(key);
    const spare = spares?.shift();
    if (spares?.length === 0) this.#spares.delete(key);
    return spare;
  }

  /**
   * Asks for `count` spare threads with these parameters: they start at the next quiet moment (no turn in flight
   * for {@link SPARE_QUIET_MS}), so they never compete with a turn; a failed spare is simply dropped. Only the
   * {@link MAX_SPARE_SETS} most recently asked parameter sets keep spares: an older set's spares are unloaded.
   */
  keepSpares(key: string, count: number, start: () => Promise<unknown>): void {
    this.#spareSets.delete(key);
    this.#spareSets.add(key);
    this.#wanted.set(key, { count, start });
    for (const old of this.#spareSets) {
      if (this.#spareSets.size <= MAX_SPARE_SETS) break;
      this.#spareSets.delete(old);
      this.#wanted.delete(old);
      const spares = this.#spares.get(old) ?? [];
      this.#spares.delete(old);
      for (const spare of spares) {
        spare
          .then((result) =>
            this.#unload(parseResult("thread/start", threadStartResultSchema, result).thread.id),
          )
          .catch(() => undefined);
      }
    }
    this.#armSpares();
  }

  /**
   * A turn on the thread starts: from the moment the run has the thread (started, resumed or already held) until
   * {@link endTurn}, the thread is held and never unloaded, and spares wait until every turn has ended.
   */
  beginTurn(threadId: string): void {
    const turns = this.#threads.get(threadId) ?? 0;
    this.#threads.delete(threadId);
    this.#threads.set(threadId, turns + 1);
    this.#turns++;
    clearTimeout(this.#spareTimer);
    this.#spareTimer = undefined;
  }

  /**
   * A turn begun with {@link beginTurn} ended: the thread becomes the most recently used, and the least recently
   * used idle threads beyond {@link MAX_IDLE_THREADS} are unloaded.
   */
  endTurn(threadId: string): void {
    const turns = this.#threads.get(threadId);
    if (turns !== undefined) {
      this.#threads.delete(threadId);
      this.#threads.set(threadId, turns - 1);
    }
    this.#turns--;
    let idle = 0;
    for (const count of this.#threads.values()) if (count === 0) idle++;
    for (const [id, count] of this.#threads) {
      if (idle <= MAX_IDLE_THREADS) break;
      if (count > 0) continue;
      this.#threads.delete(id);
      idle--;
      this.#unload(id);
    }
    this.#armSpares();
  }

  /**
   * `thread/unsubscribe`: with `thread_unload_delay_secs=0` the app-server then shuts the thread down and says
   * `thread/closed`. A failure fails no run: the thread is merely forgotten (its next turn resumes it, which the
   * app-server accepts for a thread it still holds).
   */
  #unload(threadId: string): void {
    if (this.#unloading.has(threadId)) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      settle = () => {
        if (this.#unloading.get(threadId) !== settle) return;
        this.#unloading.delete(threadId);
        this.#unloaded.delete(threadId);
        clearTimeout(timer);
        resolve();
      };
    });
    // A `thread/closed` that never comes (the app-server's shutdown timed out) delays the next turn, never hangs it.
    timer = setTimeout(() => settle(), UNLOAD_WAIT_MS);
    timer.unref?.();
    this.#unloading.set(threadId, settle);
    this.#unloaded.set(threadId, done);
    this.#client.request("thread/unsubscribe", { threadId }).then(
      (result) => {
        if (unsubscribeResultSchema.safeParse(result).data?.status !== "unsubscribed") settle();
      },
      () => settle(),
    );
  }

  #armSpares(): void {
    if (this.#turns > 0 || this.#wanted.size === 0) return;
    clearTimeout(this.#spareTimer);
    this.#spareTimer = setTimeout(() => {
      this.#spareTimer = undefined;
      if (this.#turns > 0) return;
      for (const [key, { count, start }] of this.#wanted) this.#fillSpares(key, count, start);
      this.#wanted.clear();
    }, this.#spareQuietMs);
    // A pending spare never keeps Node alive on its own.
    this.#spareTimer.unref?.();
  }

  #fillSpares(key: string, count: number, start: () => Promise<unknown>): void {
    let spares = this.#spares.get(key);
    if (spares === undefined) {
      spares = [];
      this.#spares.set(key, spares);
    }
    const list = spares;
    while (list.length < count) {
      const spare = start();
      spare.catch(() => {
        const at = list.indexOf(spare);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0 && this.#spares.get(key) === list) this.#spares.delete(key);
      });
      list.push(spare);
    }
  }

  /** Routes the thread's messages to `route` until {@link detach}. */
  attach(threadId: string, route: ThreadRoute): void {
    this.#routes.set(threadId, route);
  }

  /** Stops routing the thread's messages (only if `route` is still the thread's route). */
  detach(threadId: string, route: ThreadRoute): void {
    if (this.#routes.get(threadId) === route) this.#routes.delete(threadId);
  }

  /**
   * Whether the process keeps Node alive: on while turns are in flight, off while idle, so a program that forgets
   * `close()` still exits (the app-server then sees stdin close and exits too).
   */
  keepAlive(on: boolean): void {
    this.#process.keepAlive(on);
  }

  /** Kills the process at once (SIGKILL): its sandboxed commands die with it. */
  kill(): void {
    clearTimeout(this.#spareTimer);
    this.#process.kill("SIGKILL");
  }

  /** Closes stdin, waits for the exit (killing it after {@link EXIT_GRACE_MS}); settles once the process is gone. */
  async stop(): Promise<void> {
    clearTimeout(this.#spareTimer);
    this.#wanted.clear();
    this.#process.endInput();
    const timer = setTimeout(() => this.kill(), EXIT_GRACE_MS);
    await this.#process.exited;
    clearTimeout(timer);
  }

  #onNotification(method: string, params: unknown): void {
    const threadId = (params as { threadId?: unknown } | null)?.threadId;
    if (method === "thread/closed" && typeof threadId === "string") {
      // Unloaded by us, or by the app-server on its own: either way the next turn resumes it.
      if (this.#threads.get(threadId) === 0) this.#threads.delete(threadId);
      this.#unloading.get(threadId)?.();
    }
    const route = typeof threadId === "string" ? this.#routes.get(threadId) : undefined;
    if (route === undefined) return;
    let parsed: WireNotification | undefined;
    try {
      parsed = parseNotification(method, params);
    } catch (error) {
      route.onFailure(error as CodexProviderError);
      return;
    }
    if (parsed !== undefined) route.onNotification(parsed);
  }
}

/** The error of every turn in flight when the process ended. Its stderr tail is raw: the run handle redacts it. */
export function exitError(exit: AppServerExit, stderr: string): CodexProviderError {
  const how = exit.spawnError
    ? `could not start (${exit.spawnError})`
    : `exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.exitCode}`})`;
  return new CodexProviderError({
    code: "CODEX_TRANSPORT_ERROR",
    message: `codex app-server ${how} during the turn; it is restarted for the next run.`,
    details: {
      failureCode: "app_server_exited",
      ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
      ...(exit.signal ? { signal: exit.signal } : {}),
      ...(exit.spawnError ? { spawnError: exit.spawnError } : {}),
      stderr: stderr.trim().slice(-4000),
    },
  });
}
