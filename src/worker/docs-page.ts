/**
 * `/docs`: the OpenAPI document as one server-rendered page. It loads nothing from
 * another host (a hosted Swagger UI would pull scripts from a CDN, a second firewall
 * entry) and reads without JavaScript.
 */
type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

function inline(md: unknown): string {
  return esc(md ?? "").replace(/`([^`]+)`/g, "<code>$1</code>");
}

function schemaBlock(schema: unknown): string {
  return `<pre>${esc(JSON.stringify(schema, null, 2))}</pre>`;
}

export function renderDocs(doc: Json): string {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const sections: string[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""})</li>`)
        .join("");
      const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
      const responses = Object.entries((op.responses as Record<string, Json>) ?? {})
        .map(([status, r]) => {
          const content = r.content as Record<string, Json> | undefined;
          const schema = content?.["application/json"]?.schema;
          return `<details><summary><strong>${esc(status)}</strong> ${inline(r.description)}</summary>${schema ? schemaBlock(schema) : ""}</details>`;
        })
        .join("");
      sections.push(`<section id="${esc(method + path)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p><strong>${inline(op.summary)}</strong>${op.security ? " · needs <code>Authorization: Bearer</code>" : ""}</p>
${op.description ? `<p>${inline(op.description)}</p>` : ""}
${params ? `<p>Parameters:</p><ul>${params}</ul>` : ""}
${body ? `<details><summary>Request body</summary>${schemaBlock(body["application/json"]?.schema)}</details>` : ""}
${responses}
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1d2330}
section{border-top:1px solid #dde;padding:.5rem 0}
pre{background:#f5f6f8;padding:.6rem;overflow:auto;font-size:13px}
code{background:#f0f1f4;padding:0 .2em}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:.1em .4em}
.get{background:#2364aa}.post{background:#2a7f3f}.delete{background:#b3261e}.patch{background:#8a5a00}
</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1>
<p>${inline(info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
${sections.join("\n")}
</body></html>`;
}
