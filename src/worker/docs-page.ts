/**
 * `/docs`: the OpenAPI document as one server-rendered page, with an index, a table of
 * each body's fields and an example of it, all read from the document (so from the
 * contract's zod schemas). It loads nothing from another host (a hosted Swagger UI would
 * pull scripts from a CDN, a second firewall entry) and reads without JavaScript.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { errorStatus, type ErrorCode } from "../contract/errors.js";

type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type PathItem = NonNullable<Document["paths"]>[string];
type Operation = NonNullable<PathItem["get"]>;
type Parameter = NonNullable<Operation["parameters"]>[number];
type RequestBody = NonNullable<Operation["requestBody"]>;
type Reference = { $ref: string };
type Content = Exclude<RequestBody, Reference>["content"];
type Schema = NonNullable<Content[string]["schema"]>;
type SchemaObject = Exclude<Schema, Reference>;

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

function inline(md: unknown): string {
  return esc(md ?? "").replace(/`([^`]+)`/g, "<code>$1</code>");
}

function isReference(x: object): x is Reference {
  return "$ref" in x && typeof x.$ref === "string" && Object.keys(x).length <= 3;
}

/** A schema with its `#/components/schemas/…` reference followed. */
function resolve(doc: Document, s: Schema | undefined): SchemaObject | undefined {
  if (!s) return undefined;
  if (!isReference(s)) return s;
  const name = s.$ref.replace(/^#\/components\/schemas\//, "");
  return resolve(doc, doc.components?.schemas?.[name]);
}

/** A short type: `string`, `integer`, `string or null`, `"hour" or "day"`, `array of object`. */
function typeOf(doc: Document, s: SchemaObject): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" or ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return [...new Set(alternatives.map((a) => { const r = resolve(doc, a); return r ? typeOf(doc, r) : "?"; }))].join(" or ");
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return types.map((t) => {
    if (t !== "array") return t;
    const items = resolve(doc, s.items);
    return `array of ${items ? typeOf(doc, items) : "values"}`;
  }).join(" or ") || "any";
}

function limits(s: SchemaObject): string {
  const out: string[] = [];
  if (s.maxLength !== undefined) out.push(s.minLength ? `${s.minLength}–${s.maxLength} characters` : `up to ${s.maxLength} characters`);
  else if (s.minLength) out.push(`at least ${s.minLength} characters`);
  const n = (v: number | undefined) => (v === undefined ? undefined : v.toLocaleString("en-GB"));
  if (s.minimum !== undefined || s.maximum !== undefined) out.push(`${n(s.minimum) ?? "−∞"} to ${n(s.maximum) ?? "∞"}`);
  if (s.pattern) out.push(`matches <code>${esc(s.pattern)}</code>`);
  return out.join("; ");
}

interface Field {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The fields of an object schema, nested objects and arrays of objects as `pool.seats`, `seats[].user`. */
function fields(doc: Document, s: SchemaObject | undefined, prefix = "", depth = 0): Field[] {
  if (!s?.properties || depth > 3) return [];
  const out: Field[] = [];
  for (const [name, raw] of Object.entries(s.properties)) {
    const p = resolve(doc, raw);
    if (!p) continue;
    const full = prefix + name;
    const notes = [p.description ? inline(p.description) : "", limits(p)].filter(Boolean).join(" · ");
    out.push({ name: full, type: typeOf(doc, p), required: s.required?.includes(name) ?? false, description: notes });
    const objectPart = (p.anyOf ?? p.oneOf ?? [p]).map((a) => resolve(doc, a)).find((a) => a?.properties || a?.items);
    const items = resolve(doc, objectPart?.items);
    if (objectPart?.properties) out.push(...fields(doc, objectPart, `${full}.`, depth + 1));
    else if (items?.properties) out.push(...fields(doc, items, `${full}[].`, depth + 1));
  }
  return out;
}

function fieldTable(list: Field[]): string {
  if (list.length === 0) return "";
  const rows = list
    .map((f) => `<tr><td><code>${esc(f.name)}</code></td><td data-label="type">${esc(f.type)}</td><td data-label="required">${f.required ? "yes" : "no"}</td><td>${f.description}</td></tr>`)
    .join("");
  return `<table><thead><tr><th>field</th><th>type</th><th>required</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function example(s: SchemaObject | undefined): unknown {
  return s?.examples?.[0] ?? s?.example;
}

function exampleBlock(s: SchemaObject | undefined): string {
  const value = example(s);
  return value === undefined ? "" : `<p>Example:</p><pre>${esc(JSON.stringify(value, null, 2))}</pre>`;
}

function parameterList(doc: Document, parameters: Parameter[]): string {
  const rows = parameters
    .filter((p): p is Exclude<Parameter, Reference> => !isReference(p))
    .map((p) => {
      const s = "schema" in p ? resolve(doc, p.schema) : undefined;
      const notes = [p.description ? inline(p.description) : s?.description ? inline(s.description) : "", s ? limits(s) : ""].filter(Boolean).join(" · ");
      return `<tr><td><code>${esc(p.name)}</code></td><td data-label="in">${esc(p.in)}</td><td data-label="required">${p.required ? "yes" : "no"}</td><td>${notes}</td></tr>`;
    })
    .join("");
  return rows ? `<p>Parameters:</p><table><thead><tr><th>name</th><th>in</th><th>required</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>` : "";
}

function jsonSchemaOf(doc: Document, content: Content | undefined): SchemaObject | undefined {
  return resolve(doc, content?.["application/json"]?.schema);
}

function operationSection(doc: Document, method: string, path: string, op: Operation): string {
  const body = op.requestBody && !isReference(op.requestBody) ? op.requestBody : undefined;
  const bodySchema = jsonSchemaOf(doc, body?.content);
  const responses = Object.entries(op.responses ?? {}).map(([status, r]: [string, unknown]) => {
    if (typeof r !== "object" || r === null || !("description" in r)) return "";
    const content = "content" in r ? (r.content as Content | undefined) : undefined;
    const schema = jsonSchemaOf(doc, content);
    const ok = status.startsWith("2");
    const inner = ok ? `${fieldTable(fields(doc, schema))}${exampleBlock(schema)}` : "";
    return ok
      ? `<div class="response"><p><strong>${esc(status)}</strong> ${inline(r.description)}</p>${inner}</div>`
      : `<li><strong>${esc(status)}</strong> ${inline(r.description)}</li>`;
  });
  const errors = responses.filter((r) => r.startsWith("<li>")).join("");
  const id = op.operationId ?? `${method}${path}`;
  const auth = op.security && op.security.length > 0 ? "needs <code>Authorization: Bearer</code>" : "no credential";
  return `<section id="${esc(id)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> <a class="anchor" href="#${esc(id)}">#</a></h3>
<p><strong>${inline(op.summary)}</strong> · ${auth} · <code>${esc(id)}</code></p>
${op.description ? `<p>${inline(op.description)}</p>` : ""}
${parameterList(doc, op.parameters ?? [])}
${body ? `<h4>Request body${body.required ? "" : " (optional)"}</h4>${body.description ? `<p>${inline(body.description)}</p>` : ""}${fieldTable(fields(doc, bodySchema))}${exampleBlock(bodySchema)}` : ""}
<h4>Responses</h4>
${responses.filter((r) => !r.startsWith("<li>")).join("")}
${errors ? `<p>Errors (each in the error shape above):</p><ul>${errors}</ul>` : ""}
</section>`;
}

/** The error codes, each with its status: the one table a client switches on. */
function errorTable(): string {
  const rows = (Object.entries(errorStatus) as Array<[ErrorCode, number]>)
    .map(([code, status]) => `<tr><td>${status}</td><td><code>${esc(code)}</code></td></tr>`)
    .join("");
  return `<table><thead><tr><th>status</th><th>code</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderDocs(doc: Document): string {
  const operations: Array<{ method: string; path: string; op: Operation }> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) operations.push({ method, path, op });
    }
  }
  const tags = doc.tags?.map((t) => t.name) ?? [];
  const byTag = (tag: string) => operations.filter((o) => (o.op.tags?.[0] ?? "") === tag);
  const index = tags
    .map((tag) => {
      const description = doc.tags?.find((t) => t.name === tag)?.description;
      const items = byTag(tag)
        .map(({ method, path, op }) => `<li><a href="#${esc(op.operationId ?? method + path)}"><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></a> ${inline(op.summary)}</li>`)
        .join("");
      return `<h3>${esc(tag)}</h3>${description ? `<p>${inline(description)}</p>` : ""}<ul class="index">${items}</ul>`;
    })
    .join("");
  const sections = tags
    .map((tag) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${byTag(tag).map(({ method, path, op }) => operationSection(doc, method, path, op)).join("\n")}`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1d2330}
section{border-top:1px solid #dde;padding:.5rem 0}
pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:13px}
code{background:#f0f1f4;padding:0 .2em;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:14px;margin:.4rem 0}
td:first-child code{overflow-wrap:normal;white-space:nowrap}
th,td{border:1px solid #dde;padding:.2rem .4rem;text-align:left;vertical-align:top}
ul.index{list-style:none;padding-left:0}
ul.index a{text-decoration:none}
a.anchor{color:#889;text-decoration:none;font-size:13px}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:.1em .4em}
.get{background:#2364aa}.post{background:#2a7f3f}.delete{background:#b3261e}.patch{background:#8a5a00}
@media (max-width:600px){table,tbody,tr,td{display:block}thead{display:none}tr{border:1px solid #dde;margin:.3rem 0;padding:.2rem .4rem}td{border:0;padding:.1rem 0}td[data-label]{display:inline-block;margin-right:1em;color:#556}td[data-label]::before{content:attr(data-label) ": "}}
</style></head><body>
<h1>${esc(doc.info.title)} API <small>version ${esc(doc.info.version)}</small></h1>
<p>${inline(doc.info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<nav aria-label="Index"><h2>Index</h2>${index}<p><a href="#errors">Error codes</a></p></nav>
${sections}
<h2 id="errors">Error codes</h2>
<p>Each operation lists the codes it answers; a body over 16 KiB is <code>payload_too_large</code>, and a known path called with another method is <code>method_not_allowed</code> with an <code>Allow</code> header.</p>
${errorTable()}
</body></html>`;
}
