import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodexProviderError } from "./codexError.js";
import { createSecretRedactor, MIN_SECRET_LENGTH } from "./codexRedaction.js";
import {
  collectSecrets,
  type SecretSources,
  shellEnvironmentExclusions,
  withShellEnvironmentExclusions,
} from "./codexSecrets.js";

/** Each way a secret can reach a run, as the sources `collectSecrets` is given. */
const SOURCES: Record<string, (secret: string) => SecretSources> = {
  CODEX_API_KEY: (secret) => ({ env: { CODEX_API_KEY: secret } }),
  OPENAI_API_KEY: (secret) => ({ env: { OPENAI_API_KEY: secret } }),
  "resolved key": (secret) => ({ env: {}, apiKey: secret }),
  "model_providers.*.env_key": (secret) => ({
    env: { ACME_KEY: secret },
    config: { model_providers: { acme: { env_key: "ACME_KEY", base_url: "http://127.0.0.1:1/v1" } } },
  }),
  experimental_bearer_token: (secret) => ({
    env: {},
    config: { model_providers: { acme: { experimental_bearer_token: secret } } },
  }),
  "http_headers value": (secret) => ({
    env: {},
    config: { model_providers: { acme: { http_headers: { "X-Custom": secret } } } },
  }),
  "env_http_headers value": (secret) => ({
    env: { ACME_HEADER: secret },
    config: { model_providers: { acme: { env_http_headers: { "X-Custom": "ACME_HEADER" } } } },
  }),
  "MCP bearer_token_env_var": (secret) => ({
    env: { MCP_TOKEN_VAR: secret },
    config: {
      mcp_servers: { docs: { url: "http://127.0.0.1:2/mcp", bearer_token_env_var: "MCP_TOKEN_VAR" } },
    },
  }),
  "MCP server env table": (secret) => ({
    env: {},
    config: { mcp_servers: { gh: { command: "gh-mcp", env: { GITHUB_TOKEN: secret } } } },
  }),
  "nested *secret*/*password*": (secret) => ({
    env: {},
    config: { profiles: { ci: { client_secret: secret, db: { password: secret } } } },
  }),
  "base_url userinfo": (secret) => ({
    env: {},
    config: {
      model_providers: { acme: { base_url: `http://bob:${encodeURIComponent(secret)}@127.0.0.1:1/v1` } },
    },
  }),
  "OPENAI_BASE_URL userinfo": (secret) => ({
    env: { OPENAI_BASE_URL: `http://bob:${encodeURIComponent(secret)}@127.0.0.1:1/v1` },
  }),
  "auth.json OPENAI_API_KEY": (secret) => ({ env: {}, authJson: { OPENAI_API_KEY: secret, tokens: null } }),
  "auth.json tokens": (secret) => ({
    env: {},
    authJson: {
      OPENAI_API_KEY: null,
      tokens: {
        id_token: `${secret}.id`,
        access_token: secret,
        refresh_token: `r-${secret}`,
        account_id: "acct",
      },
      last_refresh: "2026-01-01T00:00:00Z",
    },
  }),
};

const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=";
// "Q7" first: a value made only of words ("prototype") could match util.inspect's own decorations.
const secretArb = fc
  .string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: MIN_SECRET_LENGTH, maxLength: 40 })
  .map((tail) => `Q7${tail}`);
const fillerArb = fc.string({ maxLength: 16 });
/** A tree of event/error data in which the secret sits in random string fields at random depths. */
const plantedArb = (secret: string) =>
  fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: "small" },
      fc.tuple(fillerArb, fillerArb).map(([a, b]) => `${a}${secret}${b}`),
      fillerArb,
      fc.integer(),
      fc.array(tie("tree"), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie("tree"), { maxKeys: 3 }),
    ),
  })).tree;

describe("collectSecrets", () => {
  it.each(Object.entries(SOURCES))("finds the secret of %s", (_name, sources) => {
    const secret = "s3cr3t-value-Zq9";
    expect(collectSecrets(sources(secret))).toContain(secret);
  });

  it("takes env_key and *_env_var as variable NAMES, and skips prose and short values", () => {
    const found = collectSecrets({
      env: { ACME_KEY: "acme-key-value-1", CODEX_API_KEY: "short" },
      config: {
        model_providers: {
          acme: { env_key: "ACME_KEY", env_key_instructions: "Create a key at https://acme.test/keys" },
        },
        mcp_servers: { docs: { bearer_token_env_var: "UNSET_VAR" } },
        model_auto_compact_token_limit: 1000,
        api_key: "tiny",
      },
    });
    expect(found).toEqual(["acme-key-value-1"]);
  });

  it("ignores auth.json leaves that are not credentials", () => {
    const found = collectSecrets({
      env: {},
      authJson: { tokens: { account_id: "account-1234" }, last_refresh: "2026-01-01T00:00:00Z" },
    });
    expect(found).toEqual([]);
  });

  it.each(Object.keys(SOURCES))(
    "%s: a planted secret never reaches an event or error surface (property)",
    (name) => {
      const source = SOURCES[name] as (secret: string) => SecretSources;
      fc.assert(
        fc.property(
          secretArb.chain((secret) => fc.tuple(fc.constant(secret), plantedArb(secret), plantedArb(secret))),
          ([secret, metadata, details]) => {
            const redactor = createSecretRedactor(collectSecrets(source(secret)));
            const event = redactor.deep({ type: "system", content: `x ${secret}`, timestamp: 1, metadata });
            const error = redactor.error(
              new CodexProviderError({
                code: "CODEX_AUTH_ERROR",
                message: `Incorrect API key provided: ${secret}`,
                details: { upstreamMessage: secret, nested: details },
                cause: new Error(`unexpected status 401: ${secret}`, { cause: new Error(secret) }),
              }),
            );
            const everything = [
              JSON.stringify(event),
              inspect(event, { depth: null }),
              String(error),
              error.stack,
              JSON.stringify(error),
              inspect(error, { depth: null, showHidden: true }),
            ].join("\n");
            expect(everything.includes(secret)).toBe(false);
          },
        ),
        { numRuns: 40 },
      );
    },
  );
});

describe("shellEnvironmentExclusions", () => {
  it("names the key variables and every variable the config names as holding a secret", () => {
    expect(
      shellEnvironmentExclusions({
        env: {},
        config: {
          model_providers: {
            acme: { env_key: "ACME_KEY", env_http_headers: { "X-Org": "ACME_ORG" } },
            other: { env_key: "CODEX_API_KEY" },
          },
          mcp_servers: { docs: { bearer_token_env_var: "DOCS_TOKEN" } },
        },
      }),
    ).toEqual(["CODEX_API_KEY", "OPENAI_API_KEY", "ACME_KEY", "ACME_ORG", "DOCS_TOKEN"]);
    expect(shellEnvironmentExclusions({ config: undefined })).toEqual(["CODEX_API_KEY", "OPENAI_API_KEY"]);
  });
});

describe("withShellEnvironmentExclusions", () => {
  it("adds shell_environment_policy.exclude", () => {
    expect(withShellEnvironmentExclusions({ model: "x" }, ["CODEX_API_KEY"])).toEqual({
      model: "x",
      shell_environment_policy: { exclude: ["CODEX_API_KEY"] },
    });
  });

  it("merges with the user's policy instead of replacing it, without modifying it", () => {
    const config = {
      shell_environment_policy: { inherit: "core", exclude: ["AWS_*", "CODEX_API_KEY"], set: { CI: "1" } },
    };
    const before = JSON.stringify(config);
    expect(withShellEnvironmentExclusions(config, ["CODEX_API_KEY", "OPENAI_API_KEY"])).toEqual({
      shell_environment_policy: {
        inherit: "core",
        exclude: ["AWS_*", "CODEX_API_KEY", "OPENAI_API_KEY"],
        set: { CI: "1" },
      },
    });
    expect(JSON.stringify(config)).toBe(before);
  });

  it("leaves a malformed policy for codex to reject as invalid config", () => {
    const scalar = { shell_environment_policy: "all" };
    const badExclude = { shell_environment_policy: { exclude: "CODEX_API_KEY" } };
    expect(withShellEnvironmentExclusions(scalar, ["X"])).toBe(scalar);
    expect(withShellEnvironmentExclusions(badExclude, ["X"])).toBe(badExclude);
  });
});
