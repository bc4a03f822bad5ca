import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  byMarker,
  createHermeticRun,
  type Emulator,
  type HermeticRun,
  startEmulator,
} from "@alphred/codex-emulator";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundledCodexPath } from "./testing/e2e.js";

// Proves that codex, run the hermetic way (createHermeticRun's CODEX_HOME/config.toml), sends nothing off
// loopback during a message turn and a tool turn, in `codex exec` and in `codex app-server`. codex runs in a
// fresh network namespace (`unshare -rn`, loopback up, no other interface, no route) under
// `strace -f -e trace=connect,sendto,sendmsg,sendmmsg`, so an attempt off loopback — a DNS query to the
// resolver in /etc/resolv.conf included — is seen in the trace and never leaves the machine (ENETUNREACH).
// The emulator stays in this process; a plain TCP forwarder inside the namespace reaches it through a Unix
// socket. Linux only: there the test needs `unshare`, `ip` and `strace` and fails naming the missing one;
// elsewhere (no network namespaces) it does not run.

const NETWORK_CALL = /\b(connect|sendto|sendmsg|sendmmsg)\(/;
const ADDRESS = /inet6?_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"/;

/** The strace lines (`-e trace=connect,sendto,sendmsg,sendmmsg`) that address an IPv4/IPv6 host off loopback. */
export function nonLoopbackNetworkCalls(trace: string): string[] {
  return trace.split("\n").filter((line) => {
    if (!NETWORK_CALL.test(line)) return false;
    const address = ADDRESS.exec(line)?.[1];
    return address !== undefined && !isLoopback(address);
  });
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

describe("nonLoopbackNetworkCalls", () => {
  const connect = (address: string) =>
    `123 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("${address}")}, 16) = -1 ENETUNREACH`;

  it("flags a DNS query to the resolver and keeps loopback and Unix sockets out", () => {
    const dns = `9 sendto(41, "\\366\\f\\1\\0\\0\\1\\0\\0\\0\\0\\0\\0\\7chatgpt\\3com\\0\\0\\1\\0\\1", 29, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = -1 ENETUNREACH (Network is unreachable)`;
    const v6 = `9 connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH`;
    const v6Loopback = v6.replace("2606:4700::6810:84e5", "::1");
    const unix = `9 connect(5, {sa_family=AF_UNIX, sun_path="/tmp/x.sock"}, 110) = 0`;
    expect(nonLoopbackNetworkCalls([dns, connect("127.0.0.1"), v6, v6Loopback, unix].join("\n"))).toEqual([
      dns,
      v6,
    ]);
  });

  it("flags every IPv4 address outside 127.0.0.0/8 and none inside it", () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(nonLoopbackNetworkCalls(connect(address))).toHaveLength(address.startsWith("127.") ? 0 : 1);
      }),
    );
  });
});

const linux = process.platform === "linux";
const codexPath = bundledCodexPath();

/** The turn both modes play: one command, then a message. */
const TOOL_TURN = {
  steps: [
    { items: [{ type: "exec" as const, cmd: "echo egress-probe" }] },
    { items: [{ type: "message" as const, text: "done" }] },
  ],
};

describe.runIf(linux)("real codex in an empty network namespace: nothing leaves loopback", () => {
  let emulator: Emulator;
  let bridge: Bridge;

  beforeAll(async () => {
    for (const tool of ["unshare", "ip", "strace"]) await requireTool(tool);
    emulator = await startEmulator({
      script: byMarker({
        "[[egress:tool]]": TOOL_TURN,
        "[[egress:message]]": { steps: [{ items: [{ type: "message", text: "hi" }] }] },
      }),
    });
    bridge = await startBridge(emulator.baseUrl);
  });

  afterAll(async () => {
    await bridge?.close();
    await emulator?.close();
  });

  it.each(["message", "tool"])(
    "codex exec: a %s turn completes with no non-loopback connect/sendto",
    async (kind) => {
      const { trace, stdout, code } = await inNamespace(bridge, emulator.baseUrl, (wrapper, run) =>
        spawn(
          wrapper,
          [
            "exec",
            "--experimental-json",
            "--skip-git-repo-check",
            "--sandbox",
            "danger-full-access",
            "-C",
            run.workingDirectory,
            "-c",
            `openai_base_url="${emulator.baseUrl}"`,
            `[[egress:${kind}]] go`,
          ],
          { env: run.env, stdio: ["ignore", "pipe", "pipe"] },
        ),
      );
      expect(code, stdout).toBe(0);
      expect(stdout).toContain('"type":"turn.completed"');
      if (kind === "tool") expect(stdout).toContain("egress-probe");
      expect(trace).toContain(`inet_addr("127.0.0.1")`); // the trace saw codex reach the emulator
      expect(nonLoopbackNetworkCalls(trace)).toEqual([]);
    },
  );

  it("codex app-server: a tool turn completes with no non-loopback connect/sendto", async () => {
    const { trace, stdout, code } = await inNamespace(bridge, emulator.baseUrl, (wrapper, run) => {
      const child = spawn(wrapper, ["app-server", "-c", `openai_base_url="${emulator.baseUrl}"`], {
        env: run.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      driveAppServer(child, run.workingDirectory);
      return child;
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('"method":"turn/completed"');
    expect(stdout).toContain("egress-probe");
    expect(trace).toContain(`inet_addr("127.0.0.1")`);
    expect(nonLoopbackNetworkCalls(trace)).toEqual([]);
  });
});

function requireTool(tool: string): Promise<void> {
  const args = tool === "unshare" ? ["-rn", "true"] : tool === "ip" ? ["-V"] : ["-V"];
  return new Promise((resolve, reject) =>
    execFile(tool, args, (error) =>
      error
        ? reject(
            new Error(
              `the egress test needs \`${tool}\` working on Linux (${tool === "unshare" ? "unprivileged user namespaces, " : ""}util-linux/iproute2/strace): ${error.message}`,
            ),
          )
        : resolve(),
    ),
  );
}

interface Bridge {
  socketPath: string;
  close(): Promise<void>;
}

/** A Unix socket in this process that pipes every connection to the emulator's TCP port. */
async function startBridge(baseUrl: string): Promise<Bridge> {
  const port = Number(new URL(baseUrl).port);
  const dir = await mkdtemp(path.join(os.tmpdir(), "codex-egress-"));
  const socketPath = path.join(dir, "emulator.sock");
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, "127.0.0.1");
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Listens on 127.0.0.1:PORT inside the namespace and pipes each connection to the bridge's Unix socket. */
const FORWARDER = `import net from "node:net";
import { writeFileSync } from "node:fs";
const [port, socketPath, ready] = process.argv.slice(2);
const server = net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  for (const s of [inbound, outbound]) s.on("error", () => { inbound.destroy(); outbound.destroy(); });
  inbound.pipe(outbound).pipe(inbound);
});
server.listen(Number(port), "127.0.0.1", () => writeFileSync(ready, ""));
`;

interface NamespaceRun {
  run: HermeticRun;
  trace: string;
  stdout: string;
  code: number | null;
}

/** Runs codex (through a wrapper script: namespace, loopback up, forwarder, strace) with a hermetic run. */
async function inNamespace(
  bridge: Bridge,
  baseUrl: string,
  start: (wrapper: string, run: HermeticRun) => ChildProcess,
): Promise<NamespaceRun> {
  const run = await createHermeticRun({ baseUrl });
  const dir = await mkdtemp(path.join(os.tmpdir(), "codex-egress-ns-"));
  try {
    const q = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
    const forwarder = path.join(dir, "forwarder.mjs");
    const ready = path.join(dir, "ready");
    const tracePath = path.join(dir, "trace");
    const inner = [
      "ip link set lo up || exit 97",
      `${q(process.execPath)} ${q(forwarder)} ${new URL(baseUrl).port} ${q(bridge.socketPath)} ${q(ready)} </dev/null >/dev/null 2>&1 &`,
      "forwarder=$!",
      `i=0; while [ ! -e ${q(ready)} ]; do i=$((i+1)); [ $i -gt 200 ] && exit 98; sleep 0.05; done`,
      `strace -f -qq -o ${q(tracePath)} -e trace=connect,sendto,sendmsg,sendmmsg ${q(codexPath)} "$@"`,
      'status=$?; kill "$forwarder"; exit "$status"',
    ].join("\n");
    const wrapper = path.join(dir, "codex-in-netns");
    await writeFile(forwarder, FORWARDER);
    await writeFile(wrapper, `#!/bin/sh\nexec unshare -rn sh -c ${q(inner)} codex-in-netns "$@"\n`, {
      mode: 0o755,
    });
    const child = start(wrapper, run);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", () => {});
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    return { run, trace: await readFile(tracePath, "utf8"), stdout, code };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await run.cleanup();
  }
}

/** initialize → thread/start → turn/start over JSON-RPC lines; closes stdin once the turn completed. */
function driveAppServer(child: ChildProcess, cwd: string): void {
  const send = (message: unknown) => child.stdin?.write(`${JSON.stringify(message)}\n`);
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const message = JSON.parse(line) as {
        id?: number;
        method?: string;
        result?: { thread?: { id: string } };
      };
      if (message.id === 1) {
        send({ method: "initialized" });
        send({
          id: 2,
          method: "thread/start",
          params: { cwd, sandbox: "danger-full-access", approvalPolicy: "never" },
        });
      } else if (message.id === 2 && message.result?.thread) {
        send({
          id: 3,
          method: "turn/start",
          params: {
            threadId: message.result.thread.id,
            input: [{ type: "text", text: "[[egress:tool]] go" }],
          },
        });
      } else if (message.method === "turn/completed") {
        child.stdin?.end();
      }
    }
  });
  send({ id: 1, method: "initialize", params: { clientInfo: { name: "egress-test", version: "0" } } });
}
