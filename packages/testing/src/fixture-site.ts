import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

/** One request the fixture site received. */
export interface SiteVisit {
  at: number;
  method: string;
  /** Path with query string, e.g. `/cookie?x=1`. */
  path: string;
  /** The `Cookie` header as received, or null. */
  cookie: string | null;
  /** The `Host` header: tells whether a request came through a proxy with the original host. */
  host: string | null;
}

export interface FixtureSite {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request in arrival order (the log is also served as JSON at `/visits`). */
  readonly visits: SiteVisit[];
  visitsTo(path: string): SiteVisit[];
  close(): Promise<void>;
}

/** The name of the persistent cookie `/cookie` sets. */
export const FIXTURE_COOKIE = 'fleet_fixture_id';

const INDEX_TITLE = 'Fleet fixture: products';

function html(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

function indexPage(): string {
  return html(
    INDEX_TITLE,
    `<h1 id="heading">Products</h1>
<ul id="products">
  <li class="product" data-sku="A-1"><span class="name">Anvil</span> <span class="price">12.50</span></li>
  <li class="product" data-sku="B-2"><span class="name">Bucket</span> <span class="price">3.20</span></li>
  <li class="product" data-sku="C-3"><span class="name">Crate</span> <span class="price">7.00</span></li>
</ul>
<button id="add" type="button">Add</button> <span id="count">0</span>
<input id="query" name="query" type="text">
<a id="to-cookie" href="/cookie">cookie page</a>
<script>
  document.getElementById('add').addEventListener('click', function () {
    var el = document.getElementById('count');
    el.textContent = String(Number(el.textContent) + 1);
  });
</script>`,
  );
}

/** `/upload`: a file input; the page shows the picked file's name, size and type. */
function uploadPage(): string {
  return html(
    'Fleet fixture: upload',
    `<input id="file" type="file"><p id="file-info">none</p>
<script>
  document.getElementById('file').addEventListener('change', function (e) {
    var f = e.target.files[0];
    document.getElementById('file-info').textContent = f ? f.name + '|' + f.size + '|' + f.type : 'none';
  });
</script>`,
  );
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** `/cookie`: sets a persistent cookie on the first visit and shows it on later ones. */
function cookiePage(req: IncomingMessage, res: ServerResponse): void {
  const existing = readCookie(req.headers.cookie, FIXTURE_COOKIE);
  const value = existing ?? randomBytes(8).toString('hex');
  if (!existing) {
    res.setHeader('set-cookie', `${FIXTURE_COOKIE}=${value}; Max-Age=31536000; Path=/; SameSite=Lax`);
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    html(
      existing ? 'Fleet fixture: returning visitor' : 'Fleet fixture: new visitor',
      `<p id="state">${existing ? 'returning' : 'new'}</p><p id="cookie">${value}</p>`,
    ),
  );
}

/**
 * A small web site on a free loopback port for browser tests: `/` (a title, a product list to
 * extract, a button that counts clicks, an input), `/cookie` (a persistent cookie), `/upload` (a
 * file input that shows the picked file's name, size and type), `/talk` (logs to the console),
 * `/visits` (the visit log as JSON) and `/slow?ms=N`. Every request is recorded with time, path and cookie.
 */
export async function startFixtureSite(): Promise<FixtureSite> {
  const visits: SiteVisit[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    // A request through a forward proxy may carry an absolute URL: log its path only.
    const pathname = path.startsWith('http') ? new URL(path).pathname : (path.split('?')[0] ?? '/');
    visits.push({
      at: Date.now(),
      method: req.method ?? 'GET',
      path: path.startsWith('http') ? pathname : path,
      cookie: req.headers.cookie ?? null,
      host: req.headers.host ?? null,
    });
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(indexPage());
    } else if (pathname === '/cookie') {
      cookiePage(req, res);
    } else if (pathname === '/talk') {
      // Logs to the console as it loads (failure evidence keeps the page's console lines).
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        html(
          'Fleet fixture: talk',
          `<h1 id="heading">Talk</h1><script>console.log('fixture says hello'); console.error('fixture trouble', 7);</script>`,
        ),
      );
    } else if (pathname === '/upload') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(uploadPage());
    } else if (pathname === '/visits') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(visits));
    } else if (pathname === '/slow') {
      const ms = Math.min(Number(new URL(path, 'http://x').searchParams.get('ms')) || 0, 10_000);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html('Fleet fixture: slow', `<p id="slow">${ms}</p>`));
      }, ms);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    visits,
    visitsTo: (path) => visits.filter((visit) => visit.path.split('?')[0] === path),
    close,
  };
}

export { INDEX_TITLE as FIXTURE_INDEX_TITLE };
