// Run by `npm ci` / `npm install` in a checkout (the `prepare` script): npm links the bins of
// dependencies into node_modules/.bin but never the project's own, so without this link
// `npx seatkeeper` finds no command in a fresh clone. The link runs the checkout's source
// (bin/seatkeeper.mjs, through tsx); the published package's bin stays the built dist/cli/bin.js.
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "node_modules", ".bin");
const link = path.join(bin, "seatkeeper");
mkdirSync(bin, { recursive: true });
rmSync(link, { force: true });
symlinkSync(path.relative(bin, path.join(root, "bin", "seatkeeper.mjs")), link);
