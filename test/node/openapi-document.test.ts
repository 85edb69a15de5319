/**
 * The OpenAPI document as the app serves it (fetched from the app's own fetch handler):
 * Redocly's linter finds no error in it, and docs/api.md names the same operations.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import * as contract from "../../src/contract/schemas.js";
import { createApp } from "../../src/worker/app.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "seatkeeper-openapi-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function fetchDocument(): Promise<{ text: string; doc: { paths: Record<string, Record<string, { operationId?: string }>> } }> {
  const res = await createApp().request("https://seatkeeper.test/openapi.json");
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, doc: JSON.parse(text) };
}

function operationsOf(doc: Awaited<ReturnType<typeof fetchDocument>>["doc"]): string[] {
  return Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
}

function lint(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // Offline: no usage data and no update check (Redocly's documented settings), and a
  // HOME of its own so it writes nothing into the user's.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
  return new Promise((resolve) => {
    execFile(path.join(ROOT, "node_modules", ".bin", "redocly"), ["lint", "--format=json", file], { cwd: work, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("the OpenAPI document", () => {
  it("passes redocly lint with no errors", async () => {
    const { text } = await fetchDocument();
    const file = path.join(work, "openapi.json");
    writeFileSync(file, text);
    const { code, stdout, stderr } = await lint(file);
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string }> };
    const errors = report.problems.filter((p) => p.severity === "error");
    expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(code, stderr).toBe(0);
  });

  it("and docs/api.md describe the same operations, each under its method and path", async () => {
    const { doc } = await fetchDocument();
    const reference = readFileSync(path.join(ROOT, "docs", "api.md"), "utf8");
    const headings = [...reference.matchAll(/^### `(GET|POST|PUT|PATCH|DELETE) (\/\S*)` \((\w+)\)$/gm)];
    const documented = headings.map((h) => `${h[1]} ${h[2]}`).sort();
    expect(documented).toEqual(operationsOf(doc));
    // the name in brackets is the operation's operationId
    for (const [, method, p, id] of headings) expect(doc.paths[p!]![method!.toLowerCase()]!.operationId, `${method} ${p}`).toBe(id);
  });

  it("shows examples that the contract's own schemas accept", () => {
    const withExamples: Array<[string, z.ZodType]> = [];
    for (const [name, value] of Object.entries(contract)) {
      if (value instanceof z.ZodType && value.meta()?.example !== undefined) withExamples.push([name, value]);
    }
    expect(withExamples.map(([name]) => name)).toEqual(expect.arrayContaining(["CheckoutRequest", "CreatePoolRequest", "UpdatePoolRequest", "RotateCredentialsRequest", "ErrorResponse"]));
    for (const [name, schema] of withExamples) {
      const parsed = schema.safeParse(schema.meta()!.example);
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
    }
  });
});
