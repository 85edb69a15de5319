/**
 * The dashboard's stylesheet and its one small script, served from the Worker itself
 * (same hostname, `script-src 'self'`, no build step, no CDN). The script only enhances:
 * copy buttons, a confirm() before destructive posts, local times. Without it every
 * page still works: destructive posts then ask on a confirmation page instead.
 */
export const DASHBOARD_CSS = `
:root {
  --bg: #f4f6f9; --card: #fff; --text: #1b2430; --muted: #5b6675; --line: #dde2ea;
  --accent: #2457c5; --accent-text: #fff; --ok: #1f8a4c; --high: #c77700; --full: #c62828;
  --danger: #b42318; --notice-bg: #e8f5ee; --error-bg: #fdecea; --code-bg: #eef1f6;
  color-scheme: light;
}
* { box-sizing: border-box; }
/* The copy buttons wait hidden for the script; a display rule on buttons must not show them without it. */
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
code { font: 0.92em ui-monospace, SFMono-Regular, Consolas, "Liberation Mono", monospace; background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; overflow-wrap: anywhere; }
/* Serials and keys move to the next line whole, and when wider than it break only after a dash (the markup offers those breaks). */
code.grouped { overflow-wrap: normal; display: inline-block; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; line-height: 1.25; }
h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }
h3 { font-size: 1rem; margin: 0 0 0.4rem; }
.top { display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap; padding: 0.7rem 1.25rem; background: #14213d; color: #fff; }
.top a, .top .link-button { color: #fff; }
.brand { font-weight: 700; font-size: 1.1rem; text-decoration: none; letter-spacing: 0.01em; }
.top nav { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
.who { opacity: 0.85; font-size: 0.9rem; }
main { max-width: 1180px; margin: 0 auto; padding: 1.25rem; }
.foot { max-width: 1180px; margin: 0 auto; padding: 0 1.25rem 2rem; font-size: 0.85rem; }
.page-head { margin-bottom: 1rem; }
.muted, .ago { color: var(--muted); }
.ago { font-size: 0.85em; }
td .ago { display: block; }
.help { color: var(--muted); font-size: 0.88rem; margin: 0.25rem 0 0.75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.25rem; margin-bottom: 1.25rem; min-width: 0; }
.card.narrow { max-width: 34rem; margin: 2rem auto; }
.narrow-form { max-width: 40rem; }
.card-head { display: flex; justify-content: space-between; align-items: baseline; gap: 0.5rem; flex-wrap: wrap; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 1.25rem; }
.grid > .wide { grid-column: span 2; }
.count { display: inline-block; min-width: 1.6em; padding: 0 0.45em; border-radius: 999px; background: var(--code-bg); font-size: 0.85rem; text-align: center; }
.message { padding: 0.7rem 0.9rem; border-radius: 8px; margin: 0 0 1rem; }
.message.notice { background: var(--notice-bg); border: 1px solid #b7e0c6; }
.message.error { background: var(--error-bg); border: 1px solid #f3b8b2; }
label { display: block; font-weight: 600; margin: 0.6rem 0 0.25rem; }
input[type=text], input[type=password], input[type=number], input[type=search] { width: 100%; max-width: 28rem; font: inherit; padding: 0.5rem 0.6rem; border: 1px solid #b9c2cf; border-radius: 6px; background: #fff; color: inherit; }
input:focus-visible, button:focus-visible, a:focus-visible, summary:focus-visible { outline: 3px solid #7aa2f7; outline-offset: 2px; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: 0.5rem 1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); cursor: pointer; text-decoration: none; margin-top: 0.5rem; }
button.small { padding: 0.25rem 0.7rem; margin: 0; font-size: 0.88rem; }
button.danger { background: var(--danger); border-color: var(--danger); }
.button.secondary, button.copy { background: #fff; color: var(--accent); }
button.copy { margin: 0 0 0 0.4rem; padding: 0.15rem 0.6rem; font-size: 0.85rem; }
.link-button { background: none; border: none; padding: 0; margin: 0; font-weight: 400; text-decoration: underline; }
form.inline { display: inline; margin: 0; }
.actions { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0.5rem 0; padding: 0.6rem 0.9rem 0.7rem; min-width: 0; }
/* Floated, the legend sits inside the box: a long one wraps there instead of across the top border. */
legend { float: left; width: 100%; font-weight: 600; padding: 0; margin-bottom: 0.1rem; }
legend + * { clear: both; }
label.choice { display: flex; gap: 0.6rem; align-items: flex-start; font-weight: 400; margin: 0.5rem 0; }
label.choice input { margin-top: 0.3rem; flex: none; }
.note { background: #f7f9fc; border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; margin-top: 1rem; font-size: 0.92rem; }
.note p { margin: 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.93rem; }
th, td { text-align: left; padding: 0.5rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { font-size: 0.82rem; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); border-bottom-width: 2px; }
tbody th { font-weight: 600; }
.event-denied td:nth-child(2), .event-auth_failed td:nth-child(2) { color: var(--danger); font-weight: 600; }
.inline-edit { display: flex; gap: 0.4rem; align-items: center; }
.inline-edit input { width: 7rem; }
.use { display: inline-flex; align-items: center; gap: 0.5rem; }
.use-bar { width: 90px; height: 8px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.gauge { margin: 0; text-align: center; }
.gauge svg { width: 100%; max-width: 260px; }
.gauge-track { fill: none; stroke: #e3e8ef; stroke-width: 18; stroke-linecap: round; }
.gauge-value { fill: none; stroke-width: 18; stroke-linecap: round; }
.gauge-ok .gauge-value { stroke: var(--ok); } .gauge-high .gauge-value { stroke: var(--high); } .gauge-full .gauge-value { stroke: var(--full); }
.gauge-track-fill { fill: #e3e8ef; }
.gauge-ok .gauge-value-fill { fill: var(--ok); } .gauge-high .gauge-value-fill { fill: var(--high); } .gauge-full .gauge-value-fill { fill: var(--full); }
.gauge-figure { font-size: 34px; font-weight: 700; fill: var(--text); }
.over { color: var(--full); }
.chart { margin: 0; }
.usage-chart { width: 100%; height: auto; display: block; }
.usage-chart .bar-peak { fill: var(--accent); }
.usage-chart .bar-denied { fill: var(--full); }
.usage-chart .hit { fill: transparent; }
.usage-chart .bucket:hover .hit { fill: rgba(36, 87, 197, 0.07); }
.usage-chart .axis { stroke: #9aa5b5; stroke-width: 1; }
.usage-chart .grid { stroke: #e3e8ef; stroke-width: 1; }
.usage-chart .limit { stroke: #1b2430; stroke-width: 1.5; stroke-dasharray: 6 4; }
.usage-chart .axis-label { font-size: 12px; fill: var(--muted); }
.usage-chart .limit-label { font-size: 12px; fill: var(--text); font-weight: 600; }
.usage-chart .denied-label { fill: var(--full); font-weight: 600; }
.chart-legend { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; list-style: none; margin: 0 0 0.5rem; padding: 0; font-size: 0.85rem; color: var(--muted); }
.chart-legend li { display: inline-flex; align-items: center; gap: 0.4rem; }
.chart-legend .key { display: inline-block; width: 0.85rem; height: 0.6rem; border-radius: 2px; }
.chart-legend .key-peak { background: var(--accent); }
.chart-legend .key-denied { background: var(--full); }
.chart-legend .key-limit { width: 1.2rem; height: 0; border-top: 2px dashed var(--text); border-radius: 0; }
.chart figcaption { font-size: 0.92rem; margin-top: 0.4rem; }
.more summary { cursor: pointer; color: var(--accent); font-size: 0.9rem; margin-top: 1rem; }
.chart-data summary { cursor: pointer; color: var(--accent); font-size: 0.9rem; margin-top: 0.4rem; }
.tabs { display: flex; gap: 0.3rem; }
.tabs a { padding: 0.2rem 0.7rem; border-radius: 999px; border: 1px solid var(--line); text-decoration: none; font-size: 0.9rem; }
.tabs a[aria-current=page] { background: var(--accent); border-color: var(--accent); color: #fff; }
.shown-once { border: 2px solid var(--high); }
.secrets { margin: 0.5rem 0; }
.secret { display: grid; grid-template-columns: 11rem 1fr; gap: 0.5rem; align-items: center; padding: 0.35rem 0; border-bottom: 1px dashed var(--line); }
.secret dt { font-weight: 600; }
.secret dd { margin: 0; }
.secret code { font-size: 1.02rem; }
.copy-status { min-height: 1.5em; margin: 0; color: var(--ok); font-weight: 600; }
.settings button { display: block; }
.search { margin: 0 0 0.75rem; }
.search label { margin-top: 0; }
.search-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.search-row input { flex: 1 1 14rem; }
.search .help { margin-bottom: 0; }
.seats-summary { margin: 0 0 0.5rem; }
.pages { margin: 0.75rem 0; font-weight: 600; }
.flag { display: block; width: fit-content; margin-top: 0.2rem; padding: 0 0.45em; border-radius: 4px; background: #fff4e0; border: 1px solid #f0c27a; color: #7a4500; font-size: 0.8rem; font-weight: 600; }
.shared-note .flag { display: inline; }
@media (max-width: 760px) {
  main { padding: 0.75rem; }
  .card { padding: 0.9rem; }
  .grid > .wide { grid-column: auto; }
  .secret { grid-template-columns: 1fr; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack, table.stack tbody, table.stack tr, table.stack th, table.stack td { display: block; width: 100%; }
  table.stack tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 0.75rem; padding: 0.4rem 0.6rem; }
  table.stack th, table.stack td { border: none; padding: 0.2rem 0; }
  table.stack td[data-label]:not([data-label=""])::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
  /* Each event becomes a short block: what happened, to whom, then when and by whom. */
  table.events thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.events, table.events tbody { display: block; }
  table.events tr { display: flex; flex-wrap: wrap; column-gap: 0.4rem; padding: 0.55rem 0; border-bottom: 1px solid var(--line); }
  table.events td { display: block; border: none; padding: 0; }
  table.events td:nth-child(2) { order: 1; flex: 1 0 100%; font-weight: 600; }
  table.events td:nth-child(3) { order: 2; flex: 1 0 100%; }
  table.events td:nth-child(3):has(> .muted:only-child) { display: none; }
  table.events td:nth-child(1), table.events td:nth-child(4) { order: 3; font-size: 0.85rem; color: var(--muted); }
  table.events td:nth-child(4) { order: 4; }
  table.events td:nth-child(4)::before { content: "· by "; }
  table.events td:nth-child(4) .muted { color: inherit; }
  table.events td .ago { display: inline; }
  /* The chart shrinks to the screen (to under half at 390 px); its lettering must not. */
  .usage-chart .axis-label, .usage-chart .limit-label { font-size: 24px; }
}
/* Seat advice beside the usage chart; webhooks and their delivery log (issue 14). */
.advice { margin-top: 1rem; padding: 0.7rem 0.9rem; border-left: 4px solid var(--accent); background: #f7f9fc; border-radius: 0 8px 8px 0; }
.advice p { margin: 0.2rem 0; }
.advice .help { margin-bottom: 0; }
input[type=url] { width: 100%; max-width: 40rem; font: inherit; padding: 0.5rem 0.6rem; border: 1px solid #b9c2cf; border-radius: 6px; background: #fff; color: inherit; }
code.webhook-url { overflow-wrap: anywhere; }
tr.delivery-failed th, tr.delivery-failed td { background: var(--error-bg); }
.flag.failed { background: var(--error-bg); border-color: #f3b8b2; color: var(--danger); }
.status-delivered { color: var(--ok); font-weight: 600; }
.status-pending { color: var(--high); font-weight: 600; }
`;

export const DASHBOARD_JS = `"use strict";
// Enhancements only; every page works without this script.
(function () {
  function status(button, text) {
    var panel = button.closest("section");
    var live = panel && panel.querySelector(".copy-status");
    if (live) live.textContent = text;
  }
  function ready() {
    document.querySelectorAll("button[data-copy]").forEach(function (b) { b.hidden = false; });
    var fmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    document.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.title = t.textContent; t.textContent = fmt.format(d); }
    });
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-copy]");
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent.trim();
    var label = b.getAttribute("aria-label") || "Copy";
    function selectIt() {
      var range = document.createRange(); range.selectNodeContents(el);
      var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      status(b, "Selected: press Ctrl+C to copy.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        b.textContent = "Copied";
        status(b, label.replace(/^Copy /, "Copied the ") + ".");
        setTimeout(function () { b.textContent = "Copy"; }, 2000);
      }, selectIt);
    } else selectIt();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-confirm")) return;
    var chosen = form.querySelector("input[type=radio][data-confirm]:checked");
    var question = (chosen || form).getAttribute("data-confirm");
    if (!window.confirm(question)) { e.preventDefault(); return; }
    var confirmed = form.querySelector("input[name=confirmed]");
    if (confirmed) confirmed.value = "yes";
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready); else ready();
})();
`;

/** A seat, in the brand's colours. */
export const DASHBOARD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#14213d"/><path d="M10 7h12v11H10z" fill="#7aa2f7"/><path d="M7 19h18v4H7zM9 23h3v4H9zM20 23h3v4h-3z" fill="#fff"/></svg>`;

/** A digest of the files above (FNV-1a), so their URLs change whenever they do and may be cached for long. */
export const ASSET_VERSION = (() => {
  let h = 0x811c9dc5;
  for (const ch of DASHBOARD_CSS + DASHBOARD_JS + DASHBOARD_ICON) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(36);
})();
