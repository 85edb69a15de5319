#!/usr/bin/env node
/**
 * The `seatkeeper` command's entry point: the package's bin (dist/cli/bin.js), the
 * standalone executables' bundle, and bin/seatkeeper.mjs (from source) all start here.
 */
import { main } from "./main.js";

// A closed stdout or stderr (the terminal gone, a reader that quit) must not kill the process
// while `run` holds a seat for its command: what cannot be written is dropped.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

void main(process.argv.slice(2)).then((code) => {
  // Flush what is written, then leave: nothing left behind (keep-alive sockets, timers) may hold the exit.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
  setTimeout(() => process.exit(code), 2_000); // a stream that never drains must not hold the exit either
});
