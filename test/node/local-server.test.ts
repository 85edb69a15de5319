/**
 * A server started by a test ends with the test process, however that process ends: a
 * parent like vitest's worker starts one, then dies by SIGKILL or by an uncaught error (a
 * file failing in beforeAll), and nothing of the server (start.ts, wrangler, workerd) is left.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./local-server";

const PARENT = `
import { startLocalServer } from ${JSON.stringify(pathToFileURL(path.join(ROOT, "test/node/local-server.ts")).href)};
const server = await startLocalServer();
process.stdout.write(JSON.stringify({ group: server.processGroup(), url: server.url }) + "\\n");
if (process.argv[1] === "throw") setTimeout(() => { throw new Error("a file that fails in beforeAll"); }, 2000);
else setInterval(() => {}, 1000);
`;

/** Live (not zombie) processes in a process group, with their command lines. */
function liveMembers(group: number): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === group && state !== "Z") out.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 160));
    } catch {
      /* ended while we looked */
    }
  }
  return out;
}

async function startParent(how: "wait" | "throw") {
  const parent = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", PARENT, how], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  parent.stdout.on("data", (d) => (out += d));
  parent.stderr.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => parent.once("exit", () => r()));
  while (!out.includes("\n")) {
    if (parent.exitCode !== null) throw new Error(`the parent ended before its server was up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { group, url } = JSON.parse(out.split("\n")[0]!) as { group: number; url: string };
  return { parent, exited, group, url, output: () => out };
}

async function expectGone(group: number, url: string): Promise<void> {
  let left = liveMembers(group);
  for (let i = 0; i < 300 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = liveMembers(group);
  }
  if (left.length > 0) {
    try {
      process.kill(-group, "SIGKILL"); // so that a failing run leaves nothing behind either
    } catch {
      /* gone meanwhile */
    }
  }
  expect(left).toEqual([]);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}

describe("a server started by a test", () => {
  it("ends when the test process is killed with SIGKILL", async () => {
    const { parent, exited, group, url } = await startParent("wait");
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(liveMembers(group).some((c) => c.includes("workerd"))).toBe(true);
    parent.kill("SIGKILL");
    await exited;
    await expectGone(group, url);
  });

  it("ends when the test process dies of an uncaught error", async () => {
    const { exited, group, url, output } = await startParent("throw");
    expect(liveMembers(group).some((c) => c.includes("workerd"))).toBe(true);
    await exited;
    expect(output()).toContain("a file that fails in beforeAll");
    await expectGone(group, url);
  });
});
