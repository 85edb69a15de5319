#!/usr/bin/env node
// The `seatkeeper` command. The CLI is TypeScript, loaded through tsx (a dependency),
// scoped to this import so programs started by `seatkeeper run` are not affected.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../src/cli/main.ts", import.meta.url);
const code = await main(process.argv.slice(2));
// Flush what is written, then leave: nothing left behind (keep-alive sockets, timers) may hold the exit.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
