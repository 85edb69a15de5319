#!/usr/bin/env node
// The `seatkeeper` command from a checkout, on the TypeScript source through tsx (scoped to
// this import, so programs started by `seatkeeper run` are not affected). The published
// package's command is the built dist/cli/bin.js, which needs no tsx.
import { tsImport } from "tsx/esm/api";

await tsImport("../src/cli/bin.ts", import.meta.url);
