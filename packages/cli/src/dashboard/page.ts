// The dashboard's one page: HTML, CSS and script inline (no CDN, nothing to fetch), under a
// Content-Security-Policy that lets only this page's own nonce run. Every value from a queue is
// put into the page as text (textContent), never as HTML.

const STYLE = `
:root { color-scheme: light dark; --fg:#1d232b; --muted:#667085; --bg:#f6f7f9; --card:#fff; --line:#d9dde3; --bad:#b42318; --ok:#067647; --accent:#1f5eff; }
@media (prefers-color-scheme: dark) { :root { --fg:#e6e9ee; --muted:#98a2b3; --bg:#11151b; --card:#1a2029; --line:#2c3440; --bad:#f97066; --ok:#47cd89; --accent:#7aa2ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 18px; margin: 0; }
#live { color: var(--muted); font-size: 12px; }
#live.on::before { content: "● "; color: var(--ok); }
#live.off::before { content: "● "; color: var(--bad); }
main { padding: 16px 24px 40px; max-width: 1200px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 2px; }
h3 { font-size: 14px; margin: 16px 0 8px; display: flex; gap: 10px; align-items: center; }
.url { color: var(--muted); font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; }
th, td { text-align: right; padding: 5px 10px; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.dead { color: var(--bad); font-weight: 600; }
td.dead.zero { color: inherit; font-weight: normal; }
.error { color: var(--bad); margin-top: 6px; }
.note { color: var(--muted); font-size: 12px; }
button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
.letter { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 8px 0; }
.letter .head { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: baseline; }
.letter .name { font-weight: 600; }
.letter .id { font: 12px ui-monospace, monospace; color: var(--muted); }
.letter .reason { color: var(--bad); margin: 6px 0; white-space: pre-wrap; word-break: break-word; }
pre.body { margin: 6px 0 0; padding: 8px; background: var(--bg); border-radius: 4px; overflow: auto; max-height: 480px; font: 12px/1.4 ui-monospace, monospace; }
.lineage { margin-top: 8px; font-size: 12px; }
.lineage ul { margin: 2px 0; padding-left: 18px; }
.outcome { display: inline-block; padding: 0 6px; border-radius: 4px; border: 1px solid var(--line); font-size: 11px; }
.outcome.deadLetter { color: var(--bad); border-color: var(--bad); }
.outcome.ack { color: var(--ok); border-color: var(--ok); }
dialog { border: 1px solid var(--line); border-radius: 8px; background: var(--card); color: var(--fg); max-width: 420px; }
dialog::backdrop { background: rgba(0,0,0,.35); }
dialog menu { display: flex; justify-content: flex-end; gap: 8px; padding: 0; margin: 16px 0 0; }
`;

const SCRIPT = `
"use strict";
const csrf = document.querySelector('meta[name="mailroom-csrf"]').content;
const sections = new Map();
const deadCounts = new Map();
const BODY_LIMIT = 600;
const BODY_LINES = 12;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
const count = (n) => (n === null || n === undefined ? "\\u2014" : String(n));
const rate = (n) => (n === null || n === undefined ? "\\u2014" : n.toFixed(1) + "/s");

function section(t) {
  let s = sections.get(t.id);
  if (s) return s;
  const figures = el("tbody");
  const root = el("section", { class: "card", "data-transport": t.id },
    el("h2", { text: t.kind + " \\u00b7 " + t.queue }),
    el("div", { class: "url", text: t.url }),
    el("table", {}, el("thead", {}, el("tr", {}, ...["queue", "ready", "delayed", "in flight", "dead-lettered"].map((h) => el("th", { text: h })))), figures),
  );
  const error = el("div", { class: "error", role: "alert" });
  root.append(error);
  const dead = el("div", { class: "dead-letters" });
  if (t.admin) {
    const heading = el("span", { text: "Dead letters" });
    const all = el("button", { class: "primary", "data-action": "redrive-all", text: "Redrive all" });
    const one = el("button", { "data-action": "redrive-oldest", text: "Redrive oldest" });
    all.addEventListener("click", () => act(t, "redrive", undefined));
    one.addEventListener("click", () => act(t, "redrive", 1));
    const purge = el("button", { class: "danger", "data-action": "purge-all", text: "Purge all" });
    purge.addEventListener("click", () => act(t, "purge", undefined));
    root.append(el("h3", {}, heading, all, one, purge), dead);
    root.append(el("div", { class: "note", text: "Redrive moves dead letters back to their queue with a fresh attempt count, oldest first. Purge deletes them for good; the queue itself is never touched." }));
  } else {
    root.append(el("div", { class: "note", text: "This transport has no admin support: no figures or dead letters." }));
  }
  document.getElementById("transports").append(root);
  s = { root, figures, error, dead, buttons: root.querySelectorAll("button") };
  sections.set(t.id, s);
  return s;
}

function render(state) {
  document.getElementById("updated").textContent = "updated " + new Date(state.at).toLocaleTimeString();
  for (const t of state.transports) {
    const s = section(t);
    s.figures.replaceChildren(...t.queues.map((q) => el("tr", { "data-queue": q.queue },
      el("td", { text: q.queue }),
      el("td", { "data-field": "ready", text: count(q.ready) }),
      el("td", { "data-field": "delayed", text: count(q.delayed) }),
      el("td", { "data-field": "inFlight", text: count(q.inFlight) }),
      el("td", { "data-field": "deadLettered", class: "dead" + (q.deadLettered ? "" : " zero"), text: count(q.deadLettered) }),
    )));
    s.error.textContent = t.error ? "Could not read the figures: " + t.error : "";
    if (t.admin && !t.error) {
      const dead = t.queues.reduce((n, q) => n + (q.deadLettered || 0), 0);
      if (deadCounts.get(t.id) !== dead) {
        deadCounts.set(t.id, dead);
        loadDeadLetters(t).catch((error) => {
          sections.get(t.id).dead.replaceChildren(el("div", { class: "error", text: "Could not load the dead letters: " + error.message }));
        });
      }
    }
  }
  renderRates(state.rates);
}

function renderRates(rates) {
  const box = document.getElementById("rates");
  if (!rates) { box.hidden = true; return; }
  box.hidden = false;
  const row = (label, r, error) => el("tr", {},
    el("td", { text: label }),
    el("td", { "data-field": "received", text: error ? "\\u2014" : rate(r.received) }),
    el("td", { "data-field": "acked", text: error ? "\\u2014" : rate(r.acked) }),
    el("td", { "data-field": "failed", text: error ? "\\u2014" : rate(r.failed) }),
    el("td", { class: "error", text: error || "" }));
  document.getElementById("rate-rows").replaceChildren(
    ...rates.workers.map((w) => row(w.url, w, w.error)),
    row("all workers", rates.total),
  );
}

async function loadDeadLetters(t) {
  const s = sections.get(t.id);
  // Only the newest of overlapping loads is shown: an older answer may come last.
  const seq = (s.loads = (s.loads || 0) + 1);
  const res = await fetch("/api/dead-letters?transport=" + encodeURIComponent(t.id));
  const data = await res.json();
  if (seq !== s.loads) return;
  if (!res.ok) { s.dead.replaceChildren(el("div", { class: "error", text: data.error })); return; }
  const items = data.letters.map(letter);
  if (items.length === 0) items.push(el("div", { class: "note empty", text: "No dead letters." }));
  if (data.lineageNote) items.unshift(el("div", { class: "note", text: data.lineageNote }));
  s.dead.replaceChildren(...items);
}

function pretty(body) {
  try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; }
}

/** The start of a long body: at most BODY_LINES lines and BODY_LIMIT characters. */
function cut(text) {
  const lines = text.split("\\n");
  let short = lines.length > BODY_LINES ? lines.slice(0, BODY_LINES).join("\\n") : text;
  if (short.length > BODY_LIMIT) short = short.slice(0, BODY_LIMIT);
  return short === text ? text : short + "\\n\\u2026";
}

function letter(d) {
  const full = pretty(d.body);
  const pre = el("pre", { class: "body" });
  const short = cut(full);
  const long = short !== full;
  pre.textContent = short;
  const box = el("article", { class: "letter", "data-id": d.id },
    el("div", { class: "head" },
      el("span", { class: "name", text: d.name || "(undecodable)" }),
      el("span", { class: "id", text: d.id }),
      el("span", { class: "attempts", text: d.attempts + (d.attempts === 1 ? " attempt" : " attempts") }),
      el("span", { class: "note", text: d.deadLetteredAt ? new Date(d.deadLetteredAt).toLocaleString() : "" })),
    el("div", { class: "reason", text: d.reason }),
    pre);
  if (long) {
    const more = el("button", { "data-action": "expand", text: "expand" });
    more.addEventListener("click", () => {
      const open = more.textContent === "expand";
      pre.textContent = open ? full : short;
      more.textContent = open ? "collapse" : "expand";
    });
    box.append(more);
  }
  if (d.lineage === null) box.append(el("div", { class: "lineage note", text: "Not in the message log." }));
  else if (d.lineage) box.append(lineage(d.lineage));
  return box;
}

function relative(r) {
  const item = el("li", {},
    el("span", { text: (r.name || "(undecodable)") + " " }),
    el("span", { class: "id", text: r.id + " " }),
    el("span", { class: "outcome " + r.outcome, text: r.outcome }),
    el("span", { class: "note", text: " attempt " + r.attempt + (r.reason ? ": " + r.reason : "") }));
  item.style.marginLeft = r.depth * 14 + "px";
  return item;
}

function lineage(l) {
  const box = el("div", { class: "lineage" });
  if (l.missingParentId) box.append(el("div", { class: "note", text: "parent " + l.missingParentId + " is not in the log" }));
  box.append(el("div", { text: "Ancestors (" + l.ancestors.length + ")" }), el("ul", { class: "ancestors" }, ...l.ancestors.map(relative)));
  box.append(el("div", { text: "Descendants (" + l.descendants.length + ")" }), el("ul", { class: "descendants" }, ...l.descendants.map(relative)));
  return box;
}

function confirmAction(text) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

async function act(t, action, limit) {
  const dead = deadCounts.get(t.id) || 0;
  const what = limit !== undefined ? "the oldest dead letter" : dead === 1 ? "the one dead letter" : "all " + dead + " dead letters";
  const where = t.kind + " \\u00b7 " + t.queue;
  const question = action === "redrive"
    ? "Move " + what + " of " + where + " back to the queue?"
    : "Delete " + what + " of " + where + " for good? This cannot be undone.";
  if (!(await confirmAction(question))) return;
  const s = sections.get(t.id);
  for (const b of s.buttons) b.disabled = true;
  try {
    const res = await fetch("/api/" + action, {
      method: "POST",
      headers: { "content-type": "application/json", "x-mailroom-csrf": csrf },
      body: JSON.stringify(limit === undefined ? { transport: t.id } : { transport: t.id, limit }),
    });
    const data = await res.json();
    s.error.textContent = res.ok ? "" : (action === "redrive" ? "Redrive" : "Purge") + " failed: " + data.error;
    const n = action === "redrive" ? data.moved : data.deleted;
    const letters = n + " dead letter" + (n === 1 ? "" : "s");
    document.getElementById("flash").textContent = !res.ok ? "" : action === "redrive" ? "Moved " + letters + " back." : "Deleted " + letters + ".";
  } finally {
    for (const b of s.buttons) b.disabled = false;
  }
}

function connect() {
  const live = document.getElementById("live");
  const events = new EventSource("/events");
  events.addEventListener("open", () => { live.className = "on"; live.textContent = "live"; });
  events.addEventListener("error", () => { live.className = "off"; live.textContent = "reconnecting\\u2026"; });
  events.addEventListener("state", (e) => render(JSON.parse(e.data)));
}

// The first figures at once; the event stream brings them anyway should this fail.
fetch("/api/state").then((r) => r.json()).then(render).catch(() => {}).finally(connect);
`;

/** The dashboard page, with this process's CSRF token and this response's CSP nonce. */
export function dashboardPage({ csrf, nonce }: { csrf: string; nonce: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="mailroom-csrf" content="${csrf}">
<title>Mailroom dashboard</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header><h1>Mailroom</h1><span id="live" class="off">connecting…</span><span id="updated" class="note"></span><span id="flash" class="note" role="status"></span></header>
<main>
<section class="card" id="rates" hidden>
<h2>Workers</h2>
<table><thead><tr><th>worker</th><th>received</th><th>acked</th><th>failed</th><th></th></tr></thead><tbody id="rate-rows"></tbody></table>
</section>
<div id="transports"></div>
</main>
<dialog id="confirm"><form method="dialog"><p id="confirm-text"></p><menu><button value="no">Cancel</button><button value="yes" class="primary" data-action="confirm">Confirm</button></menu></form></dialog>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
