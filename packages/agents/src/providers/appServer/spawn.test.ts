import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCodexVersion, spawnAppServer } from "./core.js";
import { createJsonRpcClient } from "./jsonRpc.js";

// spawnAppServer and readCodexVersion against small stand-in executables: the edges the real binary does not
// show on demand (partial lines, CRLF, a crash, a missing binary, a failing --version).

let dir: string;
const env = { PATH: process.env.PATH ?? "" };

async function script(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "alphred-spawn-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("spawnAppServer", () => {
  it("splits stdout into lines (CRLF and a final partial line included), replays early lines, keeps a stderr tail", async () => {
    const fake = await script(
      "lines",
      `[ "$1 $2" = "app-server --flag" ] || exit 9\nprintf 'one\\r\\ntwo\\n'; printf 'x%.0s' $(seq 1 50) >&2; printf 'tail'`,
    );
    const child = spawnAppServer(fake, { env, cwd: dir, stderrTailChars: 10, args: ["--flag"] });
    const exit = await child.exited;
    const lines: string[] = [];
    child.onLine((line) => lines.push(line));
    expect(lines).toEqual(["one", "two", "tail"]);
    expect(exit).toEqual({ exitCode: 0, signal: null });
    expect(child.stderrTail()).toBe("x".repeat(10));
    const late: unknown[] = [];
    child.onClose((close) => late.push(close));
    expect(late).toEqual([exit]);
    child.writeLine("ignored after exit");
    child.kill();
  });

  it("an idle process can stop holding the event loop and take it back (keepAlive)", async () => {
    const fake = await script("idle", 'read -r line; echo "got $line"');
    const child = spawnAppServer(fake, { env, cwd: dir });
    child.keepAlive(false);
    child.keepAlive(true);
    const lines: string[] = [];
    child.onLine((line) => lines.push(line));
    child.writeLine("ping");
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
    expect(lines).toEqual(["got ping"]);
  });

  it("delivers lines to a live listener and stdin to the process, and ends on stdin close", async () => {
    const fake = await script("echo", 'while read -r line; do echo "got $line"; done; exit 3');
    const child = spawnAppServer(fake, { env });
    const lines: string[] = [];
    child.onLine((line) => lines.push(line));
    const closes: unknown[] = [];
    child.onClose((close) => closes.push(close));
    child.writeLine("a");
    child.writeLine("b");
    child.endInput();
    expect(await child.exited).toEqual({ exitCode: 3, signal: null });
    expect(lines).toEqual(["got a", "got b"]);
    expect(closes).toEqual([{ exitCode: 3, signal: null }]);
  });

  it("reports a kill as a signal, and a JSON-RPC client on it fails its pending request with the exit facts", async () => {
    const fake = await script("silent", "exec sleep 30");
    const child = spawnAppServer(fake, { env });
    const client = createJsonRpcClient({ transport: child, defaultTimeoutMs: 0 });
    const pending = client.request("initialize", {});
    child.kill("SIGKILL");
    await expect(pending).rejects.toMatchObject({
      code: "CODEX_TRANSPORT_ERROR",
      details: { failureCode: "app_server_exited", signal: "SIGKILL" },
    });
    expect(await child.exited).toEqual({ exitCode: null, signal: "SIGKILL" });
  });

  it("reports a binary that cannot start as a spawn error, never a throw", async () => {
    const child = spawnAppServer(path.join(dir, "missing"), { env });
    const exit = await child.exited;
    expect(exit.exitCode).toBeNull();
    expect(exit.spawnError).toMatch(/ENOENT/);
    expect(child.pid).toBeUndefined();
  });
});

describe("readCodexVersion", () => {
  it("returns the trimmed first line of stdout", async () => {
    const fake = await script("version", 'echo "codex-cli 0.163.0"');
    await expect(readCodexVersion(fake, env)).resolves.toBe("codex-cli 0.163.0");
  });

  it("rejects on a failing or missing binary", async () => {
    const failing = await script("broken", "exit 2");
    await expect(readCodexVersion(failing, env)).rejects.toThrow("codex --version exited with 2");
    await expect(readCodexVersion(path.join(dir, "missing"), env)).rejects.toThrow(/ENOENT/);
  });
});
