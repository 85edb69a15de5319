/**
 * Moving customers from an on-premises licence manager: reads a CSV of
 * `customer,seats[,minClientVersion]`, creates each pool through the admin API, and
 * writes a CSV of the new serials, product keys and admin keys (mode 600: it holds
 * secrets). Bad rows are reported with their line numbers and skipped. Run it again
 * with the same output file and rows already created are not created twice: each
 * created pool is appended to the output as soon as the service answers.
 *
 *   node --import tsx scripts/import-pools.ts pools.csv --out created.csv \
 *     [--url http://127.0.0.1:8787] [--token <vendor token>]   (or SEATKEEPER_URL, SEATKEEPER_ADMIN_TOKEN)
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CreatePoolRequest, type CreatePoolResponse } from "../src/contract/schemas.js";

export const OUTPUT_COLUMNS = ["key", "line", "customer", "seats", "minClientVersion", "poolId", "serial", "productKey", "adminKey"] as const;

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. Returns rows with their first line number. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let sawAnything = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else { if (ch === "\n") line++; field += ch; }
      continue;
    }
    if (ch === '"' && field === "") { quoted = true; sawAnything = true; }
    else if (ch === ",") { fields.push(field); field = ""; sawAnything = true; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      fields.push(field);
      if (sawAnything || field !== "") rows.push({ line: rowLine, fields });
      fields = []; field = ""; sawAnything = false;
      line++; rowLine = line;
    } else { field += ch; sawAnything = true; }
  }
  if (sawAnything || field !== "") { fields.push(field); rows.push({ line: rowLine, fields }); }
  return rows;
}

/**
 * One CSV field. Text a spreadsheet would run as a formula (starting with = + - @, a tab
 * or a carriage return: OWASP's "CSV injection") gets a leading apostrophe, so opening
 * the file of new keys in Excel shows the customer's name instead of running it.
 */
export function csvField(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface ImportRow {
  line: number;
  key: string;
  request: { customer: string; seats: number; minClientVersion?: string };
}

/** Validates rows with the contract's own schema; the key names a row by content and occurrence, so reruns recognise it. */
export function planImport(text: string): { rows: ImportRow[]; problems: string[] } {
  const problems: string[] = [];
  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  for (const { line, fields } of parseCsv(text)) {
    const [customerRaw = "", seatsRaw = "", versionRaw = "", ...extra] = fields.map((f) => f.trim());
    if (rows.length === 0 && problems.length === 0 && customerRaw.toLowerCase() === "customer" && seatsRaw.toLowerCase() === "seats") continue;
    if (extra.some((x) => x !== "")) { problems.push(`line ${line}: expected customer,seats[,minClientVersion] but found ${fields.length} columns`); continue; }
    if (!/^\d+$/.test(seatsRaw)) { problems.push(`line ${line}: seats must be a whole number from 0 to 1,000,000 (found "${seatsRaw}")`); continue; }
    const request = { customer: customerRaw, seats: Number(seatsRaw), ...(versionRaw ? { minClientVersion: versionRaw } : {}) };
    const parsed = CreatePoolRequest.safeParse(request);
    if (!parsed.success) {
      problems.push(`line ${line}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "row"} ${i.message}`).join("; ")}`);
      continue;
    }
    const content = JSON.stringify([request.customer.toLowerCase(), request.seats, request.minClientVersion ?? ""]);
    const n = (seen.get(content) ?? 0) + 1;
    seen.set(content, n);
    rows.push({ line, key: `${content}#${n}`, request });
  }
  return { rows, problems };
}

export function alreadyCreated(outputPath: string): Set<string> {
  if (!existsSync(outputPath)) return new Set();
  const rows = parseCsv(readFileSync(outputPath, "utf8"));
  return new Set(rows.filter((r) => r.fields[0] !== "key").map((r) => r.fields[0]!));
}

function appendDurably(path: string, text: string): void {
  appendFileSync(path, text, { mode: 0o600 });
  const fd = openSync(path, "r");
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" }, url: { type: "string" }, token: { type: "string" }, help: { type: "boolean" } },
  });
  const input = positionals[0];
  if (values.help || !input || !values.out) {
    console.error("usage: import-pools <input.csv> --out <created.csv> [--url URL] [--token VENDOR_TOKEN]");
    return 2;
  }
  const url = (values.url ?? process.env.SEATKEEPER_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  const token = values.token ?? process.env.SEATKEEPER_ADMIN_TOKEN;
  if (!token) {
    console.error("No vendor token: pass --token or set SEATKEEPER_ADMIN_TOKEN (npm start prints where it is).");
    return 2;
  }
  const { rows, problems } = planImport(readFileSync(input, "utf8"));
  for (const p of problems) console.error(`skipped ${p}`);
  const done = alreadyCreated(values.out);
  if (!existsSync(values.out)) appendDurably(values.out, OUTPUT_COLUMNS.join(",") + "\n");

  let created = 0;
  let skipped = 0;
  let failed = 0;
  for (const row of rows) {
    if (done.has(row.key)) { skipped++; continue; }
    let res: Response;
    try {
      res = await fetch(`${url}/v1/pools`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(row.request),
      });
    } catch (e) {
      console.error(`Cannot reach ${url}: ${(e as Error).message}. Nothing more was created; run again to continue.`);
      return 1;
    }
    const body = (await res.json()) as CreatePoolResponse & { error?: { code: string; message: string } };
    if (res.status !== 201) {
      console.error(`line ${row.line}: the service refused it: ${body.error?.code}: ${body.error?.message}`);
      failed++;
      if (res.status === 401 || res.status === 403 || res.status === 429) return 1;
      continue;
    }
    appendDurably(
      values.out,
      [row.key, row.line, body.customer, body.seats, body.minClientVersion, body.poolId, body.serial, body.productKey, body.adminKey].map(csvField).join(",") + "\n",
    );
    created++;
    console.log(`line ${row.line}: created ${body.poolId} for ${body.customer} (${body.seats} seats)`);
  }
  console.log(`${created} created, ${skipped} already created earlier, ${problems.length} bad rows skipped, ${failed} refused. Secrets are in ${values.out}: keep it safe.`);
  return problems.length > 0 || failed > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code));
}
