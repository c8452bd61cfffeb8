import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { priceOf, product, SHIPPING, type Shipping, SIZES, type Size, search } from './demo-shop/catalog.js';
import { cookies, HttpError, parseMultipart, readBody } from './demo-shop/http.js';
import type { Line, Order } from './demo-shop/pages.js';
import * as html from './demo-shop/pages.js';

/**
 * The small shop `fleet up` serves, so the examples run offline (plain node:http, state in memory
 * per server; pages in demo-shop/pages.ts, the catalog in demo-shop/catalog.ts):
 * - `/` (12 products), `/products/<n>` (`h1`, `.price`, `select#size`, `button#add` → POST /cart,
 *   `iframe#reviews` → `/products/<n>/reviews` with `.review` items and `#rating`); any n answers.
 * - `/search?q=&page=`: 5 `li.result` per page (`a.title`, `span.price`) over 60 products,
 *   `#page` "Page n of m", `a.next` unless on the last page (page is clamped to 1..m).
 * - `/login` (any username, password `demo` → cookie `session`, then `/account`); a cookie banner
 *   `#cookie-banner` covers the form on about half the loads (0-300 ms after load) until
 *   `#accept-cookies` sets `consent=1`; `?banner=1` / `?banner=0` force it on / off.
 * - `/cart` (cookie `cart`; `li.line`, `a#checkout`); `#cart-count` is on every page's nav.
 * - `/checkout` (login required): a multipart form (`#receipt` file required, `select#shipping`,
 *   `#terms`) with target=_blank → 303 to `/orders/<id>` (`#order-id`, `#order-file`, `#order-total`).
 *   Bodies over 2 MiB get 413.
 * - `GET /api/orders`: `{orders: [...]}` as JSON, for tests.
 */
export interface DemoSite {
  url: string;
  port: number;
  close(): Promise<void>;
}

export { product };

type Handler = (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) => Promise<void> | void;

const MAX_CARTS = 1000;
const MAX_LINES = 50;

export async function startDemoSite(port: number, host = '127.0.0.1'): Promise<DemoSite> {
  const carts = new Map<string, Line[]>();
  const orders: Order[] = [];

  const cartOf = (req: IncomingMessage): Line[] => carts.get(cookies(req).get('cart') ?? '') ?? [];
  const userOf = (req: IncomingMessage): string | undefined => cookies(req).get('session') || undefined;
  const countOf = (lines: Line[]) => lines.reduce((sum, l) => sum + l.quantity, 0);
  const subtotal = (lines: Line[]) => lines.reduce((sum, l) => sum + priceOf(l.product) * l.quantity, 0);

  const send = (req: IncomingMessage, res: ServerResponse, status: number, title: string, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html.page(title, body, countOf(cartOf(req))));
  };
  const redirect = (res: ServerResponse, location: string, cookie?: string) => {
    res.writeHead(303, {
      location,
      'cache-control': 'no-store',
      ...(cookie ? { 'set-cookie': cookie } : {}),
    });
    res.end();
  };
  /** The logged-in user, or undefined after redirecting to /login. */
  const loggedIn = (req: IncomingMessage, res: ServerResponse) => {
    const user = userOf(req);
    if (!user) redirect(res, '/login');
    return user;
  };

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/$/, (req, res) => send(req, res, 200, 'Products', html.home())],
    [
      'GET',
      /^\/products\/(\d{1,6})$/,
      (req, res, m) => {
        const added = new URL(req.url ?? '/', 'http://demo').searchParams.has('added');
        send(req, res, 200, product(Number(m[1])).name, html.productPage(Number(m[1]), added));
      },
    ],
    [
      'GET',
      /^\/products\/(\d{1,6})\/reviews$/,
      (_req, res, m) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html.reviewsPage(Number(m[1])));
      },
    ],
    [
      'GET',
      /^\/search$/,
      (req, res) => {
        const params = new URL(req.url ?? '/', 'http://demo').searchParams;
        const q = (params.get('q') ?? '').slice(0, 100);
        const found = search(q, Number.parseInt(params.get('page') ?? '1', 10) || 1);
        send(req, res, 200, `Search: ${q}`, html.searchPage(q, found.hits, found.page, found.pages));
      },
    ],
    [
      'GET',
      /^\/login$/,
      (req, res) => {
        if (userOf(req)) return redirect(res, '/account');
        const forced = new URL(req.url ?? '/', 'http://demo').searchParams.get('banner');
        const show =
          forced === '1' || (forced !== '0' && cookies(req).get('consent') !== '1' && Math.random() < 0.5);
        send(
          req,
          res,
          200,
          'Log in',
          html.loginPage(undefined, show ? Math.floor(Math.random() * 301) : undefined),
        );
      },
    ],
    [
      'POST',
      /^\/login$/,
      async (req, res) => {
        const form = new URLSearchParams((await readBody(req)).toString('utf8'));
        const user = (form.get('username') ?? '').trim().slice(0, 100);
        if (!user || form.get('password') !== 'demo') {
          return send(req, res, 401, 'Log in', html.loginPage('Wrong username or password.', undefined));
        }
        redirect(res, '/account', `session=${encodeURIComponent(user)}; Path=/; HttpOnly; SameSite=Lax`);
      },
    ],
    [
      'GET',
      /^\/account$/,
      (req, res) => {
        const user = loggedIn(req, res);
        if (user) send(req, res, 200, 'Account', html.accountPage(user));
      },
    ],
    [
      'POST',
      /^\/cart$/,
      async (req, res) => {
        const form = new URLSearchParams((await readBody(req)).toString('utf8'));
        const n = Number(form.get('product'));
        const size = form.get('size') ?? '';
        if (!/^\d{1,6}$/.test(form.get('product') ?? '') || !(size in SIZES)) {
          throw new HttpError(400, 'Pick a product and a size (s, m or l)');
        }
        let id = cookies(req).get('cart') ?? '';
        if (!carts.has(id)) {
          id = randomBytes(12).toString('hex');
          if (carts.size >= MAX_CARTS) carts.delete(carts.keys().next().value!);
          carts.set(id, []);
        }
        const lines = carts.get(id)!;
        const line = lines.find((l) => l.product === n && l.size === size);
        if (line) line.quantity += 1;
        else if (lines.length < MAX_LINES) lines.push({ product: n, size: size as Size, quantity: 1 });
        redirect(res, `/products/${n}?added=1`, `cart=${id}; Path=/; HttpOnly; SameSite=Lax`);
      },
    ],
    [
      'GET',
      /^\/cart$/,
      (req, res) => send(req, res, 200, 'Cart', html.cartPage(cartOf(req), subtotal(cartOf(req)))),
    ],
    [
      'GET',
      /^\/checkout$/,
      (req, res) => {
        if (loggedIn(req, res)) send(req, res, 200, 'Checkout', html.checkoutPage(cartOf(req)));
      },
    ],
    [
      'POST',
      /^\/checkout$/,
      async (req, res) => {
        const user = loggedIn(req, res);
        if (!user) {
          req.resume(); // the body is not wanted: drop it
          return;
        }
        const { fields, files } = parseMultipart(req.headers['content-type'], await readBody(req));
        const lines = cartOf(req);
        const name = (fields.get('name') ?? '').trim().slice(0, 200);
        const address = (fields.get('address') ?? '').trim().slice(0, 500);
        const shipping = fields.get('shipping') ?? '';
        const receipt = files.find((f) => f.field === 'receipt' && f.filename !== '');
        const errors = [
          ...(lines.length === 0 ? ['Your cart is empty.'] : []),
          ...(name ? [] : ['Enter your name.']),
          ...(address ? [] : ['Enter your address.']),
          ...(shipping in SHIPPING ? [] : ['Pick standard or express shipping.']),
          ...(fields.get('terms') === 'on' ? [] : ['Accept the terms.']),
          ...(receipt ? [] : ['Attach a receipt file.']),
        ];
        if (errors.length > 0 || !receipt)
          return send(req, res, 400, 'Checkout', html.checkoutPage(lines, errors));
        const order: Order = {
          id: String(1001 + orders.length),
          user,
          name,
          address,
          shipping: shipping as Shipping,
          lines: lines.map((l) => ({ ...l })),
          total: Math.round((subtotal(lines) + SHIPPING[shipping as Shipping]) * 100) / 100,
          file: { name: receipt.filename.slice(0, 200), size: receipt.size, type: receipt.type },
          placedAt: new Date().toISOString(),
        };
        orders.push(order);
        lines.length = 0;
        redirect(res, `/orders/${order.id}`);
      },
    ],
    [
      'GET',
      /^\/orders\/(\d{1,9})$/,
      (req, res, m) => {
        const user = loggedIn(req, res);
        if (!user) return;
        const order = orders.find((o) => o.id === m[1] && o.user === user);
        if (!order) throw new HttpError(404, 'No such order');
        send(req, res, 200, 'Order confirmed', html.orderPage(order));
      },
    ],
    [
      'GET',
      /^\/api\/orders$/,
      (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(JSON.stringify({ orders }));
      },
    ],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    const matching = routes.filter(([, pattern]) => pattern.test(path));
    if (matching.length === 0) throw new HttpError(404, 'Not found');
    const route = matching.find(([method]) => method === req.method);
    if (!route) {
      res.setHeader('allow', matching.map(([method]) => method).join(', '));
      throw new HttpError(405, 'Method not allowed');
    }
    await route[2](req, res, route[1].exec(path)!);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'Something went wrong';
      if (res.headersSent) return res.destroy();
      if (status === 413) res.setHeader('connection', 'close');
      send(req, res, status, message, `<h1>${html.esc(message)}</h1>`);
    });
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
