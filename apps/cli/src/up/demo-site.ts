import { createServer, type Server } from 'node:http';

/**
 * The small shop `fleet up` serves for the example batch (examples/demo.json), so a new user's
 * first batch runs offline: `/` (a product list), `/products/<n>` (an `<h1>` title and a `.price`),
 * `/search?q=` (results). Pages are generated from the number, so any n answers.
 */
export interface DemoSite {
  url: string;
  port: number;
  close(): Promise<void>;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const NAMES = [
  'Lamp',
  'Kettle',
  'Backpack',
  'Notebook',
  'Headphones',
  'Mug',
  'Chair',
  'Clock',
  'Scarf',
  'Plant',
];

export function product(n: number): { name: string; price: string } {
  const name = `${NAMES[n % NAMES.length]} No. ${n}`;
  const price = `€${(9.5 + ((n * 37) % 190)).toFixed(2)}`;
  return { name, price };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Fleet demo shop</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;color:#222}
a{color:#2457c5}.price{font-weight:600;color:#1b7f3b}li{margin:.25rem 0}</style></head>
<body><nav><a href="/">Fleet demo shop</a> · <a href="/search?q=lamp">search</a></nav>${body}</body></html>`;
}

export async function startDemoSite(port: number, host = '127.0.0.1'): Promise<DemoSite> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    };
    const match = /^\/products\/(\d{1,6})$/.exec(url.pathname);
    if (url.pathname === '/') {
      const items = Array.from({ length: 12 }, (_, n) => {
        const p = product(n + 1);
        return `<li><a href="/products/${n + 1}">${esc(p.name)}</a> <span class="price">${p.price}</span></li>`;
      }).join('');
      return send(200, page('Products', `<h1>Products</h1><ul>${items}</ul>`));
    }
    if (match) {
      const p = product(Number(match[1]));
      return send(
        200,
        page(
          p.name,
          `<h1>${esc(p.name)}</h1><p class="price">${p.price}</p><button id="buy">Add to cart</button>`,
        ),
      );
    }
    if (url.pathname === '/search') {
      const q = (url.searchParams.get('q') ?? '').slice(0, 100);
      const hits = Array.from({ length: 12 }, (_, n) => product(n + 1)).filter((p) =>
        p.name.toLowerCase().includes(q.toLowerCase()),
      );
      const list = hits.map(
        (p) => `<li class="result">${esc(p.name)} <span class="price">${p.price}</span></li>`,
      );
      return send(200, page(`Search: ${q}`, `<h1>Search: ${esc(q)}</h1><ul>${list.join('')}</ul>`));
    }
    send(404, page('Not found', '<h1>Not found</h1>'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
