// The machine a measurement ran on, as the bench and fault-matrix reports print it. Shared by `pnpm bench` and
// `pnpm faults`.
import os from "node:os";

/** Cores, CPU model, RAM, platform, Node version and the load average now (the machine may be shared). */
export function describeMachine() {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model?.trim() ?? "unknown CPU",
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    load: os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(" "),
  };
}
