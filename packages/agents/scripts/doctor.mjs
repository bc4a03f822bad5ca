#!/usr/bin/env node
// `pnpm doctor`: why Codex would or would not start on this machine (credential and its source, CODEX_HOME,
// binary and version, SDK version, base URL, model vs the binary's catalog, login status). Keys are masked.
import { parseArgs } from "node:util";
import { diagnoseCodex, formatDiagnosis } from "@alphred/agents";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    model: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(`usage: pnpm doctor [--json] [--model <slug>]
  --json          print the diagnosis as JSON (keys masked)
  --model <slug>  check this model instead of CODEX_MODEL / the default
exit code: 0 when Codex can start here, 1 when a check failed`);
  process.exit(0);
}

const diagnosis = await diagnoseCodex(values.model ? { model: values.model } : {});
if (values.json) {
  console.log(JSON.stringify(diagnosis, null, 2));
} else {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  process.stdout.write(formatDiagnosis(diagnosis, { color }));
}
process.exitCode = diagnosis.ok ? 0 : 1;
