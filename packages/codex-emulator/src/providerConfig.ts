/** Options of {@link customProviderConfig}. */
export interface CustomProviderOptions {
  /** `stream_idle_timeout_ms`: how long codex waits for the next SSE event once headers arrived. Default 3000. */
  idleTimeoutMs?: number;
  /** Name of the env var codex reads the API key from (`env_key`). Default `CODEX_API_KEY`, which the SDK sets. */
  envKey?: string;
  /** Provider id under `model_providers`; must not be the built-in `openai`. Default `emulator`. */
  id?: string;
}

const PROVIDER_ID = /^[A-Za-z0-9_-]+$/;

/**
 * Codex CLI config overrides (the SDK's `config` option) that select a custom Responses provider at `baseUrl`
 * with websockets off, request and stream retries off, bounded connection retries and a short idle timeout, so
 * fault tests fail fast and deterministically.
 */
export function customProviderConfig(
  baseUrl: string,
  options: CustomProviderOptions = {},
): Record<string, unknown> {
  const id = options.id ?? "emulator";
  const idleTimeoutMs = options.idleTimeoutMs ?? 3000;
  if (!PROVIDER_ID.test(id) || id === "openai") {
    throw new TypeError(
      `id must match ${PROVIDER_ID} and must not be the built-in "openai"; got ${JSON.stringify(id)}`,
    );
  }
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new TypeError(`idleTimeoutMs must be a positive integer; got ${String(idleTimeoutMs)}`);
  }
  return {
    model_provider: id,
    model_providers: {
      [id]: {
        name: "Codex emulator",
        base_url: baseUrl,
        wire_api: "responses",
        env_key: options.envKey ?? "CODEX_API_KEY",
        supports_websockets: false,
        request_max_retries: 0,
        stream_max_retries: 0,
        stream_idle_timeout_ms: idleTimeoutMs,
      },
    },
    features: { unbounded_connection_retries: false },
  };
}
