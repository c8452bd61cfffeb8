import { parseMultipart } from './demo-shop/http.js';
import { type DemoSite, product, startDemoSite } from './demo-site.js';

// Every route of the demo shop over plain HTTP (the browser walk is demo-shop.browser.test.ts).

let site: DemoSite;
beforeAll(async () => {
  site = await startDemoSite(0);
});
afterAll(() => site.close());

function get(path: string, cookie = '') {
  return fetch(`${site.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}
function post(path: string, body: RequestInit['body'], cookie = '') {
  return fetch(`${site.url}${path}`, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
  });
}
/** The `name=value` part of a response's Set-Cookie for `name`. */
function setCookie(res: Response, name: string): string {
  const found = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no Set-Cookie ${name}`);
  return found.split(';')[0]!;
}
async function login(user = 'ana'): Promise<string> {
  const res = await post('/login', new URLSearchParams({ username: user, password: 'demo' }));
  return setCookie(res, 'session');
}
async function addToCart(n: number, size: string, cookie = ''): Promise<string> {
  const res = await post('/cart', new URLSearchParams({ product: String(n), size }), cookie);
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(`/products/${n}?added=1`);
  return setCookie(res, 'cart');
}
function checkoutForm(fields: Record<string, string>, file?: { name: string; bytes: number }): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file)
    form.append(
      'receipt',
      new Blob([new Uint8Array(file.bytes).fill(65)], { type: 'text/plain' }),
      file.name,
    );
  return form;
}
const ORDER = { name: 'Ana Lovelace', address: '1 Main St', shipping: 'express', terms: 'on' };
const BANNER = "banner.id = 'cookie-banner'"; // the script that injects it
const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('demo shop search', () => {
  it('pages 5 results at a time with a.next until the last page', async () => {
    const first = await (await get('/search?q=lamp')).text();
    expect(count(first, '<li class="result">')).toBe(5);
    expect(first).toContain('<p id="page">Page 1 of 2</p>');
    expect(first).toContain('<a class="next" rel="next" href="/search?q=lamp&amp;page=2">');
    expect(first).toContain(`<a class="title" href="/products/10">${product(10).name}</a>`);
    const last = await (await get('/search?q=lamp&page=2')).text();
    expect(count(last, '<li class="result">')).toBe(1);
    expect(last).toContain('Page 2 of 2');
    expect(last).not.toContain('class="next"');
  });

  it('clamps the page number, and shows one empty page when nothing matches', async () => {
    expect(await (await get('/search?q=lamp&page=0')).text()).toContain('Page 1 of 2');
    expect(await (await get('/search?q=lamp&page=abc')).text()).toContain('Page 1 of 2');
    expect(await (await get('/search?q=lamp&page=99')).text()).toContain('Page 2 of 2');
    const none = await (await get('/search?q=zzz')).text();
    expect(none).toContain('Page 1 of 1');
    expect(none).toContain('id="no-results"');
    expect(none).not.toContain('class="next"');
    expect(await (await get('/search?q=')).text()).toContain('Page 1 of 12');
  });

  it('escapes the query it echoes', async () => {
    const html = await (await get(`/search?q=${encodeURIComponent('<script>"x')}`)).text();
    expect(html).toContain('Search: &lt;script&gt;&quot;x');
    expect(html).not.toContain('<script>"x');
  });
});

describe('demo shop login', () => {
  it('shows the cookie banner when forced, never with banner=0 or after consent, at random otherwise', async () => {
    expect(await (await get('/login?banner=1', 'consent=1')).text()).toContain(BANNER);
    const pages = await Promise.all(Array.from({ length: 40 }, () => get('/login').then((r) => r.text())));
    const shown = pages.filter((p) => p.includes(BANNER)).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    for (let i = 0; i < 10; i += 1) {
      expect(await (await get('/login?banner=0')).text()).not.toContain(BANNER);
      expect(await (await get('/login', 'consent=1')).text()).not.toContain(BANNER);
    }
  });

  it('logs in any user with password demo and redirects to /account; a wrong password gets 401', async () => {
    const wrong = await post('/login', new URLSearchParams({ username: 'ana', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('<p id="error" role="alert">Wrong username or password.</p>');
    const empty = await post('/login', new URLSearchParams({ username: ' ', password: 'demo' }));
    expect(empty.status).toBe(401);
    const ok = await post('/login', new URLSearchParams({ username: 'ana', password: 'demo' }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/account');
    expect(setCookie(ok, 'session')).toBe('session=ana');
    const account = await (await get('/account', 'session=ana')).text();
    expect(account).toContain('<h1>Account</h1>');
    expect(account).toContain('<p id="welcome">Welcome, ana</p>');
    const again = await get('/login', 'session=ana');
    expect([again.status, again.headers.get('location')]).toEqual([303, '/account']);
  });

  it('escapes the user name and sends strangers from /account to /login', async () => {
    const cookie = await login('<b>x</b>');
    expect(await (await get('/account', cookie)).text()).toContain('Welcome, &lt;b&gt;x&lt;/b&gt;');
    const anonymous = await get('/account');
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
  });
});

describe('demo shop products and cart', () => {
  it('has a size select, a reviews iframe and an add button on every product page', async () => {
    const html = await (await get('/products/7')).text();
    expect(html).toContain(`<h1>${product(7).name}</h1>`);
    expect(html).toContain(
      '<select id="size" name="size"><option value="s">Small</option><option value="m">Medium</option><option value="l">Large</option></select>',
    );
    expect(html).toContain('<iframe id="reviews" title="Reviews" src="/products/7/reviews">');
    expect(html).toContain('<button id="add" type="submit">');
    expect(html).toContain('<span id="cart-count">0</span>');
    expect(html).not.toContain('id="added"');
    expect(await (await get('/products/7?added=1')).text()).toContain('<p id="added">Added to cart</p>');
    const reviews = await (await get('/products/7/reviews')).text();
    expect(reviews).toMatch(/<span id="rating">[345]\.\d<\/span>/);
    expect(count(reviews, '<li class="review">')).toBeGreaterThanOrEqual(2);
    expect((await get('/products/abc')).status).toBe(404);
    expect((await get('/products/1234567')).status).toBe(404);
  });

  it('keeps a cart per cookie: lines by product and size, the count in the nav', async () => {
    const cart = await addToCart(7, 'm');
    expect(await addToCart(7, 'm', cart)).toBe(cart);
    await addToCart(3, 'l', cart);
    const html = await (await get('/cart', cart)).text();
    expect(count(html, '<li class="line">')).toBe(2);
    expect(html).toContain('<span class="size">Medium</span> × <span class="quantity">2</span>');
    expect(html).toContain('<span id="cart-count">3</span>');
    expect(html).toContain('<a id="checkout" href="/checkout">');
    expect(await (await get('/cart')).text()).toContain('<p id="empty">');
    expect(await (await get('/cart', 'cart=unknown')).text()).toContain('<span id="cart-count">0</span>');
  });

  it('refuses a bad product or size with 400, and other methods with 405', async () => {
    expect((await post('/cart', new URLSearchParams({ product: '7', size: 'xl' }))).status).toBe(400);
    expect((await post('/cart', new URLSearchParams({ product: 'x', size: 's' }))).status).toBe(400);
    const del = await fetch(`${site.url}/cart`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('POST, GET');
    expect((await get('/nope')).status).toBe(404);
  });
});

describe('demo shop checkout', () => {
  it('needs a login, then takes the multipart form to an order page and /api/orders', async () => {
    const cart = await addToCart(5, 's');
    const anonymous = await get('/checkout', cart);
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
    const anonymousPost = await post('/checkout', checkoutForm(ORDER, { name: 'r.txt', bytes: 10 }), cart);
    expect([anonymousPost.status, anonymousPost.headers.get('location')]).toEqual([303, '/login']);

    const cookie = `${cart}; ${await login('bea')}`;
    const form = await (await get('/checkout', cookie)).text();
    for (const part of [
      'enctype="multipart/form-data" target="_blank"',
      'id="name"',
      'id="address"',
      '<select id="shipping" name="shipping"><option value="standard">',
      '<input id="terms" name="terms" type="checkbox" required>',
      '<input id="receipt" name="receipt" type="file" required>',
      '<button id="place-order" type="submit">',
    ]) {
      expect(form).toContain(part);
    }

    const placed = await post(
      '/checkout',
      checkoutForm(ORDER, { name: 'receipt <1>.txt', bytes: 1234 }),
      cookie,
    );
    expect(placed.status).toBe(303);
    const location = placed.headers.get('location')!;
    expect(location).toMatch(/^\/orders\/\d+$/);
    const page = await (await get(location, cookie)).text();
    expect(page).toContain('<h1>Order confirmed</h1>');
    expect(page).toContain('<span id="order-file">receipt &lt;1&gt;.txt (1234 bytes)</span>');
    const total = (Number(product(5).price.slice(1)) + 9.9).toFixed(2);
    expect(page).toContain(`<span id="order-total">€${total}</span>`);
    const id = location.split('/')[2]!;
    expect(page).toContain(`<span id="order-id">${id}</span>`);

    const { orders } = (await (await get('/api/orders')).json()) as { orders: Record<string, unknown>[] };
    expect(orders.find((o) => o.id === id)).toMatchObject({
      user: 'bea',
      name: 'Ana Lovelace',
      shipping: 'express',
      lines: [{ product: 5, size: 's', quantity: 1 }],
      total: Number(total),
      file: { name: 'receipt <1>.txt', size: 1234, type: 'text/plain' },
    });
    expect(await (await get('/cart', cookie)).text()).toContain('<span id="cart-count">0</span>');
    // Another user's order is not theirs to see.
    expect((await get(location, await login('cy'))).status).toBe(404);
    expect((await get('/orders/999999', cookie)).status).toBe(404);
  });

  it('answers 400 with the problems when the file, terms or cart are missing', async () => {
    const cookie = `${await addToCart(2, 'l')}; ${await login()}`;
    const { terms: _, ...noTerms } = ORDER;
    const res = await post('/checkout', checkoutForm(noTerms), cookie);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<li>Accept the terms.</li>');
    expect(html).toContain('<li>Attach a receipt file.</li>');
    const emptyCart = await post(
      '/checkout',
      checkoutForm(ORDER, { name: 'a.txt', bytes: 1 }),
      await login(),
    );
    expect(emptyCart.status).toBe(400);
    expect(await emptyCart.text()).toContain('Your cart is empty.');
    const notMultipart = await post('/checkout', new URLSearchParams(ORDER), cookie);
    expect(notMultipart.status).toBe(400);
  });

  it('answers 413 to a body over 2 MiB and takes one just under', async () => {
    const cookie = `${await addToCart(4, 'm')}; ${await login()}`;
    const big = await post(
      '/checkout',
      checkoutForm(ORDER, { name: 'big.bin', bytes: 2 * 1024 * 1024 }),
      cookie,
    );
    expect(big.status).toBe(413);
    const fits = await post(
      '/checkout',
      checkoutForm(ORDER, { name: 'fits.bin', bytes: 2 * 1024 * 1024 - 2048 }),
      cookie,
    );
    expect(fits.status).toBe(303);
    const order = await (await get(fits.headers.get('location')!, cookie)).text();
    expect(order).toContain(`fits.bin (${2 * 1024 * 1024 - 2048} bytes)`);
  });
});

describe('parseMultipart', () => {
  const body = (boundary: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\ny\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="b.bin"\r\nContent-Type: application/x-test\r\n\r\n\r\n--not\r\n` +
        `--${boundary}--\r\n`,
    );

  it('reads fields and file sizes, with a quoted boundary too', () => {
    for (const type of ['multipart/form-data; boundary=XyZ', 'multipart/form-data; boundary="XyZ"']) {
      const parsed = parseMultipart(type, body('XyZ'));
      expect(parsed.fields.get('a')).toBe('x\r\ny');
      expect(parsed.files).toEqual([{ field: 'f', filename: 'b.bin', type: 'application/x-test', size: 7 }]);
    }
  });

  it('refuses what is not multipart with 400', () => {
    expect(() => parseMultipart('text/plain', body('XyZ'))).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => parseMultipart('multipart/form-data; boundary=Other', body('XyZ'))).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    const cut = body('XyZ').subarray(0, 60);
    expect(() => parseMultipart('multipart/form-data; boundary=XyZ', cut)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });
});
