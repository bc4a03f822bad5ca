import { describe, expect, it } from "vitest";
import { customProviderConfig } from "./providerConfig.js";

describe("customProviderConfig", () => {
  it("selects a websocket-free, retry-free provider at the base URL", () => {
    expect(customProviderConfig("http://127.0.0.1:1234/v1")).toEqual({
      model_provider: "emulator",
      model_providers: {
        emulator: {
          name: "Codex emulator",
          base_url: "http://127.0.0.1:1234/v1",
          wire_api: "responses",
          env_key: "CODEX_API_KEY",
          supports_websockets: false,
          request_max_retries: 0,
          stream_max_retries: 0,
          stream_idle_timeout_ms: 3000,
        },
      },
      features: { unbounded_connection_retries: false },
    });
  });

  it("applies the id, env key and idle timeout options", () => {
    const config = customProviderConfig("http://x/v1", { id: "fake", envKey: "MY_KEY", idleTimeoutMs: 1000 });
    expect(config.model_provider).toBe("fake");
    expect(config.model_providers).toEqual({
      fake: expect.objectContaining({ env_key: "MY_KEY", stream_idle_timeout_ms: 1000 }),
    });
  });

  it("rejects the built-in openai id, non-key ids and bad timeouts", () => {
    for (const id of ["openai", "a.b", ""]) {
      expect(() => customProviderConfig("http://x/v1", { id })).toThrow(TypeError);
    }
    for (const idleTimeoutMs of [0, -5, 1.5, Number.NaN]) {
      expect(() => customProviderConfig("http://x/v1", { idleTimeoutMs })).toThrow(TypeError);
    }
  });
});
