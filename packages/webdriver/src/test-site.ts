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
    case '/redirect':
      send(302, '', { location: url.searchParams.get('to') ?? '/' });
      break;
    case '/slow': {
      const ms = Number(url.searchParams.get('ms'));
      const timer = setTimeout(() => send(200, page('Slow', '<p>finally</p>')), ms);
      res.on('close', () => clearTimeout(timer));
      break;
    }
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
