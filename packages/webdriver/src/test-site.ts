// Test-only: the pages the driver tests visit, served on 127.0.0.1 by node:http.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ACTION_PAGES } from './test-pages.js';

export interface TestSite {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request: method, path and Host header, in arrival order. */
  readonly visits: Array<{ path: string; host: string }>;
  close(): Promise<void>;
}

export const INDEX_TITLE = 'Fleet driver fixture';

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

const INDEX = page(
  INDEX_TITLE,
  `<h1 id="heading">Catalogue</h1>
<nav><a class="link" id="to-next" href="/next">Next</a> <a class="link" href="https://example.com/x">Out</a> <a class="link">No href</a></nav>
<ul id="items"><li class="item">Alpha</li><li class="item">Beta</li><li class="item">Gamma</li></ul>
<form onsubmit="return false"><input id="name" type="text"> <button id="greet" type="button">Greet</button></form>
<p id="greeting">Nobody yet</p>
<div id="slot"></div>
<script>
  document.getElementById('greet').addEventListener('click', function () {
    document.getElementById('greeting').textContent = 'Hello, ' + document.getElementById('name').value;
  });
  setTimeout(function () {
    var el = document.createElement('span');
    el.id = 'late';
    el.textContent = 'I came late';
    document.getElementById('slot').appendChild(el);
  }, 400);
</script>`,
);

const NEXT = page('Next page', '<h1 id="heading">Next</h1><p class="note">You made it.</p>');

// Records for forEach: products with a name, a price, a link and tags (nested lists).
const RECORDS = page(
  'Records',
  `<ul id="products">
<li class="product"><span class="name">Lamp</span> <span class="price">€12,50</span> <a href="/p/1">more</a>
  <button class="rebuild" type="button" onclick="var l = this.closest('ul'); l.innerHTML = l.innerHTML">Rebuild</button>
  <ul class="tags"><li>home</li><li>light</li></ul></li>
<li class="product sale"><em class="badge">Sale</em> <span class="name">Chair</span> <span class="price">€40</span> <a href="/p/2">more</a>
  <ul class="tags"><li>home</li></ul></li>
<li class="product"><span class="name">Desk</span> <span class="price">€99</span> <a href="/p/3">more</a>
  <ul class="tags"></ul></li>
</ul>`,
);

/** `/rows?n=&w=`: n rows of w characters each (a runaway forEach, a large extract). */
function rows(n: number, w: number): string {
  const row = `<li class="row">${'r'.repeat(Math.min(Math.max(w, 1), 10_000))}</li>`;
  return page('Rows', `<ul>${row.repeat(Math.min(Math.max(n, 0), 5000))}</ul>`);
}

/**
 * `/pages?page=n`: three pages of two results each; `a.next` on all but the last. `last=disabled`
 * or `last=hidden`: the last page has a disabled (or hidden) next button instead.
 */
function pages(n: number, last: string | null): string {
  const results = [1, 2].map((i) => `<li class="result">Result ${(n - 1) * 2 + i}</li>`).join('');
  const query = last ? `&last=${last}` : '';
  const lastNext =
    last === 'disabled'
      ? '<button class="next" type="button" disabled>Next</button>'
      : last === 'hidden'
        ? '<a class="next" href="/pages?page=1" style="display:none">Next</a>'
        : '';
  const next = n < 3 ? `<a class="next" href="/pages?page=${n + 1}${query}">Next</a>` : lastNext;
  return page(`Page ${n}`, `<p id="page">Page ${n} of 3</p><ul>${results}</ul>${next}`);
}

const FRAMED = page(
  'Framed',
  `<p id="outer">Outer page</p><iframe id="inner" src="/inner"></iframe>
<button id="outer-button" type="button" onclick="this.textContent='Clicked'">Outer button</button>`,
);
const INNER = page('Inner', '<p id="inside">Inside the frame</p><span class="rating">4.5</span>');

const OPENER = page(
  'Opener',
  `<p id="home">Home window</p><a id="open" href="/next" target="_blank">Open</a>
<button id="dud" type="button">Opens nothing</button>`,
);

/** `/banner?banner=1`: a banner appears 300 ms after load; `banner=0`: never. */
function banner(show: boolean): string {
  const script = show
    ? `<script>setTimeout(function () { var b = document.createElement('div'); b.id = 'banner';
b.textContent = 'We use cookies'; document.body.appendChild(b); }, 300);</script>`
    : '';
  return page(
    'Banner',
    `<p id="content">Content <span id="hidden" style="display:none">secret</span></p>${script}`,
  );
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fixture');
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
    res.end(body);
  };
  switch (url.pathname) {
    case '/':
      send(200, INDEX);
      break;
    case '/next':
      send(200, NEXT);
      break;
    case '/console':
      // Logs at load, one line of each level, then a later one (a page that talks before failing).
      send(
        200,
        page(
          'Console page',
          `<h1 id="heading">Talkative</h1><script>console.log('hello from the page', 42);
console.warn('careful: "quoted"'); console.error('broken thing', {a: 1});
setTimeout(function () { console.log('later line'); }, 50);</script>`,
        ),
      );
      break;
    case '/big': {
      // A page of about `kb` KiB of text, with a multi-byte character every so often.
      const kb = Number(url.searchParams.get('kb'));
      const para = `<p>${'é lorem ipsum dolor sit amet '.repeat(30)}</p>`;
      send(200, page('Big page', para.repeat(Math.ceil((kb * 1024) / para.length))));
      break;
    }
    case '/records':
      send(200, RECORDS);
      break;
    case '/rows':
      send(200, rows(Number(url.searchParams.get('n') ?? 10), Number(url.searchParams.get('w') ?? 1)));
      break;
    case '/pages':
      send(
        200,
        pages(
          Math.min(Math.max(Number(url.searchParams.get('page') ?? 1), 1), 3),
          url.searchParams.get('last'),
        ),
      );
      break;
    case '/framed':
      send(200, FRAMED);
      break;
    case '/inner':
      send(200, INNER);
      break;
    case '/opener':
      send(200, OPENER);
      break;
    case '/banner':
      send(200, banner(url.searchParams.get('banner') === '1'));
      break;
    case '/redirect':
      send(302, '', { location: url.searchParams.get('to') ?? '/' });
      break;
    case '/slow': {
      const ms = Number(url.searchParams.get('ms'));
      const timer = setTimeout(() => send(200, page('Slow', '<p>finally</p>')), ms);
      res.on('close', () => clearTimeout(timer));
      break;
    }
    case '/status':
      // A page answered with the given HTTP status (429: a site asking its visitors to slow down).
      send(Number(url.searchParams.get('code') ?? 200), page('Status', '<h1 id="heading">status page</h1>'));
      break;
    case '/set-cookie':
      // An HttpOnly cookie only the server can set: getCookies must still see it.
      send(200, page('Cookie', '<p>set</p>'), { 'set-cookie': 'sid=server-made; Path=/; HttpOnly' });
      break;
    default: {
      const action = ACTION_PAGES[url.pathname];
      if (action) send(200, action);
      else send(404, page('Not found', '<p>nothing here</p>'));
    }
  }
}

export async function startTestSite(): Promise<TestSite> {
  const visits: TestSite['visits'] = [];
  const server = createServer((req, res) => {
    visits.push({ path: req.url ?? '/', host: req.headers.host ?? '' });
    route(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    visits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Width and height from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error('not a PNG: bad signature');
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG: no IHDR first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
