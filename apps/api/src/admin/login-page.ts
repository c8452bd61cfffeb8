/**
 * The Bull Board login and logout pages: small, self-contained HTML (inline CSS, no script, no
 * external asset), served with a CSP that allows nothing else.
 */

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
    font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
  main{width:100%;max-width:380px;margin:1rem;padding:2rem;background:#fff;border-radius:12px;
    box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}
  h1{margin:0 0 .25rem;font-size:1.25rem}
  p{margin:0 0 1.25rem;color:#6b7280;font-size:.9rem}
  label{display:block;margin-bottom:.35rem;font-weight:600;font-size:.85rem}
  input{width:100%;padding:.6rem .75rem;border:1px solid #d1d5db;border-radius:8px;font:inherit}
  input:focus{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
  button{width:100%;margin-top:1rem;padding:.65rem;border:0;border-radius:8px;background:#2563eb;
    color:#fff;font:inherit;font-weight:600;cursor:pointer}
  button:hover{background:#1d4ed8}
  .error{margin:0 0 1rem;padding:.6rem .75rem;border-radius:8px;background:#fef2f2;color:#b91c1c;
    border:1px solid #fecaca;font-size:.9rem}
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Fleet</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The login form; `error` (plain text) is shown above it. */
export function loginPage(error?: string): string {
  const alert = error ? `<div class="error" role="alert">${escapeHtml(error)}</div>\n` : '';
  return page(
    'Log in',
    `<h1>Fleet queues</h1>
<p>Log in with an admin API key to open the queue board.</p>
${alert}<form method="post" action="/admin/login">
<label for="key">Admin API key</label>
<input id="key" name="key" type="password" autocomplete="off" required autofocus>
<button type="submit">Log in</button>
</form>`,
  );
}

/** Logging out changes state, so it is a POST; Bull Board's header link lands here. */
export function logoutPage(): string {
  return page(
    'Log out',
    `<h1>Log out</h1>
<p>End this browser's session on the queue board.</p>
<form method="post" action="/admin/logout">
<button type="submit">Log out</button>
</form>`,
  );
}
