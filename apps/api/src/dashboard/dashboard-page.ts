import { createHash } from 'node:crypto';

/**
 * The dashboard's one HTML page: inline CSS (allowed by its hash), the Socket.IO client bundle and
 * the page's own script served from this API (`script-src 'self'`), no other asset, no CDN.
 */

export const SOCKET_IO_PATH = '/dashboard/socket.io.min.js';
export const SCRIPT_PATH = '/dashboard/dashboard.js';

const STYLE = `
*{box-sizing:border-box}
[hidden]{display:none!important}
:root{--bg:#f3f4f6;--card:#fff;--text:#111827;--muted:#6b7280;--line:#e5e7eb;--blue:#2563eb;
  --green:#16a34a;--red:#dc2626;--amber:#d97706}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
header.top{display:flex;align-items:center;gap:1.5rem;padding:.75rem 1.5rem;background:#111827;color:#f9fafb}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;font-size:1.05rem}
.logo{width:18px;height:18px;border-radius:5px;background:linear-gradient(135deg,#60a5fa,#2563eb)}
nav{display:flex;gap:1rem;flex:1}
nav a{color:#d1d5db;text-decoration:none}
nav a:hover{color:#fff;text-decoration:underline}
.session{display:flex;align-items:center;gap:.75rem}
.who{color:#d1d5db;font-size:.85rem}
.pill{display:inline-flex;align-items:center;gap:.35rem;padding:.1rem .6rem;border-radius:999px;font-size:.8rem;
  background:#374151;color:#e5e7eb}
.pill::before{content:"";width:8px;height:8px;border-radius:50%;background:#9ca3af}
.pill[data-state="on"]{background:#064e3b;color:#d1fae5}
.pill[data-state="on"]::before{background:#34d399}
.pill[data-state="connecting"]::before{background:#fbbf24}
button{padding:.5rem .9rem;border:0;border-radius:8px;background:var(--blue);color:#fff;font:inherit;font-weight:600;
  cursor:pointer}
button:hover{background:#1d4ed8}
button:disabled{opacity:.6;cursor:wait}
button.secondary{background:#374151}
button.secondary:hover{background:#4b5563}
main{max-width:1200px;margin:1.5rem auto;padding:0 1.5rem;display:grid;gap:1.5rem}
.card{background:var(--card);border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.04);
  padding:1.25rem 1.5rem}
.card-head{display:flex;align-items:baseline;justify-content:space-between;margin-bottom:.75rem}
h1{margin:0 0 .25rem;font-size:1.25rem}
h2{margin:0;font-size:1.05rem}
.muted{color:var(--muted);font-size:.85rem}
.login{max-width:420px;margin:4rem auto;padding:2rem}
.login p{margin:0 0 1.25rem;color:var(--muted);font-size:.9rem}
label{display:block;margin-bottom:.35rem;font-weight:600;font-size:.85rem}
input{width:100%;padding:.6rem .75rem;border:1px solid #d1d5db;border-radius:8px;font:inherit}
input:focus{outline:2px solid var(--blue);outline-offset:1px;border-color:var(--blue)}
.login button{width:100%;margin-top:1rem;padding:.65rem}
.error{margin:0 0 1rem;padding:.6rem .75rem;border-radius:8px;background:#fef2f2;color:#b91c1c;
  border:1px solid #fecaca;font-size:.9rem}
.banner{padding:.6rem .9rem;border-radius:8px;background:#fffbeb;color:#92400e;border:1px solid #fde68a}
table{width:100%;border-collapse:collapse}
th{text-align:left;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
  font-weight:600;padding:.5rem .6rem;border-bottom:1px solid var(--line)}
td{padding:.6rem;border-bottom:1px solid var(--line);vertical-align:middle}
tbody tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums}
.name{font-weight:600}
.id{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--muted)}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:999px;font-size:.78rem;font-weight:600;
  background:#e5e7eb;color:#374151}
.badge[data-status="running"]{background:#dbeafe;color:#1e40af}
.badge[data-status="completed"]{background:#dcfce7;color:#166534}
.badge[data-status="cancelled"]{background:#fee2e2;color:#991b1b}
.progress{display:flex;align-items:center;gap:.6rem;min-width:220px}
.bar{flex:1;display:flex;height:10px;border-radius:999px;background:var(--line);overflow:hidden}
.bar .ok{background:var(--green);transition:width .3s ease}
.bar .failed{background:var(--red);transition:width .3s ease}
.pct{width:3.2em;text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.has-failed{color:var(--red);font-weight:600}
.empty{margin:.5rem 0 0;color:var(--muted)}
.hosts-down{margin:.5rem 0 0;padding-left:1.2rem;color:var(--red)}
.state-available{color:var(--green);font-weight:600}
.state-cooling{color:var(--amber);font-weight:600}
.state-leased{color:var(--blue);font-weight:600}
.state-quarantined{color:var(--red);font-weight:600}
#batches tbody tr[data-has-failed]{cursor:pointer}
#batches tbody tr[data-has-failed]:hover{background:#f9fafb}
.kinds{margin:0 0 .75rem;padding-left:1.2rem}
.path{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.evidence{display:flex;flex-wrap:wrap;gap:.35rem;align-items:center}
.evidence button{padding:.15rem .5rem;font-size:.78rem;font-weight:600}
.url{font-size:.78rem;color:var(--muted);word-break:break-all}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `http://h:3001/x` → `{http: 'http://h:3001', ws: 'ws://h:3001'}` (what CSP connect-src names). */
export function notifierOrigins(notifierUrl: string): { http: string; ws: string } {
  const url = new URL(notifierUrl);
  return { http: url.origin, ws: `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}` };
}

/**
 * The page's headers: scripts only from this API, the inline style by its hash, fetches to this
 * API and the notifier (HTTP long-polling and WebSocket), no forms, frames or plugins.
 */
export function pageHeaders(notifierUrl: string): Record<string, string> {
  const notifier = notifierOrigins(notifierUrl);
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'sha256-${STYLE_HASH}'`,
      `connect-src 'self' ${notifier.http} ${notifier.ws}`,
      'img-src data:',
      "form-action 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

export interface PageOptions {
  notifierUrl: string;
  /** How often the page re-reads batches and pools (ms). */
  refreshMs: number;
}

/**
 * The dashboard. The form never submits (the script handles it, and `form-action 'none'` stops a
 * submit without script), so the key never lands in a URL or a request body.
 */
export function dashboardPage(options: PageOptions): string {
  const notifier = escapeHtml(options.notifierUrl.replace(/\/+$/, ''));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Fleet dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<script src="${SOCKET_IO_PATH}" defer></script>
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body data-notifier-url="${notifier}" data-refresh-ms="${escapeHtml(String(options.refreshMs))}">
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true"></span>Fleet</div>
  <nav>
    <a href="/admin/queues">Queues (Bull Board, admin)</a>
    <a href="/docs">API docs</a>
    <a href="${notifier}/health">Notifier</a>
  </nav>
  <div class="session" id="session" hidden>
    <span class="who" id="who"></span>
    <span class="pill" id="live" data-state="off">offline</span>
    <button type="button" class="secondary" id="logout">Log out</button>
  </div>
</header>
<section class="card login" id="login">
  <h1>Fleet dashboard</h1>
  <p>Enter an API key (admin or user). It is kept in this tab only and sent as an Authorization header, never in a URL.</p>
  <div class="error" id="login-error" role="alert" hidden></div>
  <form id="login-form" method="post" autocomplete="off">
    <label for="key">API key</label>
    <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required autofocus>
    <button type="submit" id="login-button">Open dashboard</button>
  </form>
  <noscript><p class="error">The dashboard needs JavaScript.</p></noscript>
</section>
<main id="app" hidden>
  <div class="banner" id="banner" role="status" hidden></div>
  <section class="card">
    <div class="card-head"><h2>Batches</h2><span class="muted" id="batches-note"></span></div>
    <table id="batches">
      <thead><tr><th>Batch</th><th>Status</th><th>Progress</th><th class="num">Done</th><th class="num">Failed</th><th class="num">Total</th><th>Created</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="empty" id="batches-empty" hidden>No batches yet.</p>
    <p class="muted">Click a batch with failures to see them, with their evidence.</p>
  </section>
  <section class="card" id="failures" hidden>
    <div class="card-head"><h2>Failures of <span class="id" id="failures-batch"></span></h2><button type="button" class="secondary" id="failures-close">Close</button></div>
    <ul class="kinds" id="failure-kinds"></ul>
    <table id="failed-items">
      <thead><tr><th class="num">Item</th><th>Code</th><th>Step</th><th>Message</th><th>Evidence</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="muted" id="failures-note"></p>
  </section>
  <section class="card">
    <div class="card-head"><h2>Profile pools</h2><span class="muted">profiles by state</span></div>
    <table id="pools">
      <thead><tr><th>Pool</th><th class="num">Available</th><th class="num">Cooling down</th><th class="num">Leased</th><th class="num">Quarantined</th><th class="num">Registered</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="empty" id="pools-empty" hidden>No profiles registered.</p>
    <ul id="hosts-down" class="hosts-down" hidden></ul>
  </section>
  <section class="card" id="sharing" hidden>
    <div class="card-head"><h2>Sharing</h2><span class="muted">items per API key (fair share) and per throttled site</span></div>
    <table id="tenants">
      <thead><tr><th>API key</th><th class="num">Weight</th><th class="num">Cap</th><th class="num">Waiting</th><th class="num">Running</th></tr></thead>
      <tbody></tbody>
    </table>
    <table id="sites">
      <thead><tr><th>Site</th><th class="num">At once</th><th class="num">Between starts (ms)</th><th class="num">Running</th><th class="num">Waiting</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="card">
    <div class="card-head"><h2>Schedules</h2><span class="muted">batches submitted on a schedule</span></div>
    <table id="schedules">
      <thead><tr><th>Schedule</th><th>Owner</th><th>When</th><th>Next run</th><th class="num">Runs</th><th>Last batch or refusal</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="empty" id="schedules-empty" hidden>No schedules.</p>
  </section>
</main>
</body>
</html>
`;
}
