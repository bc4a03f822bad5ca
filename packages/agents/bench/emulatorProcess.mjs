// Serves emulator turns from their own process, so the host's RSS holds only what the provider holds.
// Usage: node emulatorProcess.mjs '{"<marker>": <Turn>, ...}'; prints the base URL, stops when stdin closes.
import { byMarker, startEmulator } from "@alphred/codex-emulator";

const emulator = await startEmulator({ script: byMarker(JSON.parse(process.argv[2])) });
process.stdout.write(`${emulator.baseUrl}\n`);
process.stdin.resume();
process.stdin.on("end", () => emulator.close().then(() => process.exit(0)));
