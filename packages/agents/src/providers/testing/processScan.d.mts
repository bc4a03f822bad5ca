/**
 * PIDs of live processes whose environment names this CODEX_HOME (Linux `/proc`; throws elsewhere). Polls up to
 * `attempts` times (default 40, 50 ms apart) until none is left; `attempts = 1` is a single look. With `command`,
 * only processes whose command line contains it.
 */
export declare function codexProcessesUsing(
  codexHome: string,
  platform?: NodeJS.Platform,
  attempts?: number,
  command?: string,
): Promise<number[]>;
