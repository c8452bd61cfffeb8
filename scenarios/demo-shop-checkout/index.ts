/**
 * The demo shop's whole flow as a code scenario (the same flow as examples/ has as steps): log in
 * (a cookie banner may cover the form), search, page through the results, open a product, pick a
 * size, read its rating in the reviews iframe, add it to the cart, check out with a receipt upload,
 * and read the confirmation in the new tab. Checkpoints after login and after the cart carry the
 * browser's cookies, so an attempt that resumes on another worker (another browser profile) picks
 * up the session and the cart without logging in again.
 */
import { defineScenario, type ScenarioContext } from '@fleet/scenario';
import { z } from 'zod';

/** The demo shop takes any user name with this password (DESIGN.md's demo shop; not a secret). */
const DEMO_PASSWORD = 'demo';

const input = z.object({
  /** The shop's origin, e.g. http://127.0.0.1:45003 (`fleet up` prints it). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1).max(100),
  /** What to search for. */
  query: z.string().min(1).max(100),
  /** The product to buy: the first result whose title contains this (any case); the first result when omitted. */
  product: z.string().min(1).max(100).optional(),
  size: z.enum(['s', 'm', 'l']).default('m'),
  /** Result pages to look through at most. */
  maxPages: z.number().int().min(1).max(20).default(5),
  name: z.string().min(1).max(100).default('Fleet Demo'),
  address: z.string().min(1).max(300).default('1 Demo Street'),
  shipping: z.enum(['standard', 'express']).default('standard'),
  /** The receipt to upload; a small text file is made up when omitted. */
  receipt: z
    .object({
      filename: z.string().min(1).max(200),
      type: z.string().max(100).default('application/octet-stream'),
      contentBase64: z.string().max(1_400_000),
    })
    .optional(),
  /** Pause after the login checkpoint (demos and tests of a crash mid-item), ms. */
  holdAfterLoginMs: z.number().int().min(0).max(60_000).default(0),
});

type Input = z.output<typeof input>;
type Ctx = ScenarioContext<Input>;
type Cookie = Awaited<ReturnType<WebdriverIO.Browser['getCookies']>>[number];

interface LoggedIn {
  cookies: Cookie[];
}
interface Carted extends LoggedIn {
  product: { title: string; href: string; price: string | null; rating: string | null };
  pagesSeen: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** The banner is injected 0-300 ms after load, about half the time: wait a little, accept it if it comes. */
async function acceptCookies(ctx: Ctx): Promise<boolean> {
  const banner = await ctx.browser.$('#cookie-banner');
  const shown = await banner
    .waitForDisplayed({ timeout: 600 })
    .then(() => true)
    .catch(() => false);
  if (!shown) return false;
  await ctx.browser.$('#accept-cookies').click();
  await banner.waitForDisplayed({ timeout: 3000, reverse: true });
  return true;
}

async function login(ctx: Ctx): Promise<LoggedIn> {
  const { baseUrl, username } = ctx.input;
  await ctx.goto(new URL('/login', baseUrl).href);
  // Already logged in (a warm profile keeps its cookies): as someone else → log that user out.
  if (new URL(await ctx.browser.getUrl()).pathname.startsWith('/account')) {
    if (!(await ctx.text('#welcome'))?.endsWith(`, ${username}`)) {
      await ctx.browser.deleteCookies('session');
      await ctx.goto(new URL('/login', baseUrl).href);
    }
  }
  if (!new URL(await ctx.browser.getUrl()).pathname.startsWith('/account')) {
    const accepted = await acceptCookies(ctx);
    ctx.log('login form', { cookieBanner: accepted });
    await ctx.browser.$('#username').setValue(username);
    await ctx.browser.$('#password').setValue(DEMO_PASSWORD);
    await ctx.browser.$('button#login').click();
  }
  await ctx.waitFor('#welcome');
  const welcome = await ctx.text('#welcome');
  if (!welcome?.includes(username)) ctx.fail('LOGIN_REFUSED', `the shop did not log ${username} in`);
  return { cookies: await ctx.browser.getCookies() };
}

/** Back on the shop with the cookies a checkpoint carried (this may be another browser profile). */
async function restoreCookies(ctx: Ctx, cookies: Cookie[]): Promise<void> {
  await ctx.goto(new URL('/', ctx.input.baseUrl).href);
  await ctx.browser.deleteAllCookies();
  await ctx.browser.setCookies(cookies);
}

async function findProduct(
  ctx: Ctx,
): Promise<{ title: string; href: string; price: string | null; pages: number }> {
  const { baseUrl, query, product, maxPages } = ctx.input;
  await ctx.goto(`${new URL('/search', baseUrl).href}?q=${encodeURIComponent(query)}`);
  for (let page = 1; page <= maxPages; page++) {
    const titles = await ctx.all('li.result a.title');
    const hrefs = await ctx.all('li.result a.title', { attr: 'href' });
    const prices = await ctx.all('li.result span.price');
    const at = titles.findIndex((t) => !product || (t ?? '').toLowerCase().includes(product.toLowerCase()));
    if (at >= 0) {
      return { title: titles[at] ?? '', href: hrefs[at] ?? '', price: prices[at] ?? null, pages: page };
    }
    const next = await ctx.browser.$('a.next');
    if (!(await next.isExisting())) break;
    const before = await ctx.browser.getUrl();
    await next.click();
    await ctx.browser.waitUntil(async () => (await ctx.browser.getUrl()) !== before, { timeout: 10_000 });
  }
  ctx.fail(
    'PRODUCT_NOT_FOUND',
    `no result for "${query}" matched "${product ?? '(any)'}" in ${maxPages} pages`,
  );
}

async function addToCart(ctx: Ctx, loggedIn: LoggedIn): Promise<Carted> {
  const found = await findProduct(ctx);
  await ctx.goto(new URL(found.href, ctx.input.baseUrl).href);
  await ctx.browser.$('select#size').selectByAttribute('value', ctx.input.size);
  // The rating lives in the reviews iframe.
  await ctx.browser.switchFrame(await ctx.browser.$('iframe#reviews'));
  const rating = await ctx.text('#rating');
  await ctx.browser.switchFrame(null);
  const count = Number((await ctx.text('#cart-count')) ?? 0) || 0;
  await ctx.browser.$('button#add').click();
  await ctx.browser.waitUntil(async () => Number(await ctx.text('#cart-count')) > count, { timeout: 10_000 });
  await ctx.goto(new URL('/cart', ctx.input.baseUrl).href);
  const lines = await ctx.all('li.line');
  if (!lines.some((line) => (line ?? '').includes(found.title))) {
    ctx.fail('CART_MISSING_PRODUCT', `"${found.title}" is not in the cart`);
  }
  return {
    cookies: (await ctx.browser.getCookies()).length > 0 ? await ctx.browser.getCookies() : loggedIn.cookies,
    product: { title: found.title, href: found.href, price: found.price, rating },
    pagesSeen: found.pages,
  };
}

// Sets a file on an <input type=file> from bytes, in the page (no path on the worker or the browser's host).
const SET_FILE = `
var input = document.querySelector(arguments[0]);
var bin = atob(arguments[1]);
var bytes = new Uint8Array(bin.length);
for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
var dt = new DataTransfer();
dt.items.add(new File([bytes], arguments[2], { type: arguments[3] }));
input.files = dt.files;
input.dispatchEvent(new Event('input', { bubbles: true }));
input.dispatchEvent(new Event('change', { bubbles: true }));
return input.files.length;`;

async function checkout(ctx: Ctx, carted: Carted) {
  const { baseUrl, name, address, shipping, username } = ctx.input;
  await ctx.goto(new URL('/checkout', baseUrl).href);
  await ctx.waitFor('#place-order');
  await ctx.browser.$('#name').setValue(name);
  await ctx.browser.$('#address').setValue(address);
  await ctx.browser.$('select#shipping').selectByAttribute('value', shipping);
  const terms = await ctx.browser.$('input#terms');
  if (!(await terms.isSelected())) await terms.click();
  const receipt = ctx.input.receipt ?? {
    filename: 'receipt.txt',
    type: 'text/plain',
    contentBase64: Buffer.from(`Receipt for ${username}: ${carted.product.title}\n`).toString('base64'),
  };
  await ctx.browser.execute(SET_FILE, '#receipt', receipt.contentBase64, receipt.filename, receipt.type);
  // The form posts to a new tab: follow it, read the confirmation, close it.
  const home = await ctx.browser.getWindowHandle();
  const before = await ctx.browser.getWindowHandles();
  await ctx.browser.$('button#place-order').click();
  let tab: string | undefined;
  await ctx.browser.waitUntil(
    async () => {
      tab = (await ctx.browser.getWindowHandles()).find((h) => !before.includes(h));
      return tab !== undefined;
    },
    { timeout: 10_000, timeoutMsg: 'the confirmation tab did not open' },
  );
  await ctx.browser.switchToWindow(tab!);
  await ctx.waitFor('#order-id');
  const heading = await ctx.text('h1');
  if (heading !== 'Order confirmed') ctx.fail('ORDER_NOT_CONFIRMED', `the shop answered "${heading}"`);
  const order = {
    id: await ctx.text('#order-id'),
    file: await ctx.text('#order-file'),
    total: await ctx.text('#order-total'),
  };
  await ctx.screenshot('confirmation');
  await ctx.browser.closeWindow();
  await ctx.browser.switchToWindow(home);
  return order;
}

export default defineScenario({
  name: 'demo-shop-checkout',
  version: '1',
  input,
  async run(ctx) {
    const from = ctx.resumed?.name ?? null;
    let loggedIn: LoggedIn;
    let carted: Carted | undefined;
    if (from === 'cart') {
      carted = ctx.resumed!.value as Carted;
      loggedIn = carted;
      await restoreCookies(ctx, carted.cookies);
    } else if (from === 'login') {
      loggedIn = ctx.resumed!.value as LoggedIn;
      await restoreCookies(ctx, loggedIn.cookies);
    } else {
      loggedIn = await login(ctx);
      await ctx.checkpoint('login', loggedIn);
      if (ctx.input.holdAfterLoginMs > 0) await sleep(ctx.input.holdAfterLoginMs, ctx.signal);
    }
    if (!carted) {
      carted = await addToCart(ctx, loggedIn);
      await ctx.checkpoint('cart', carted);
    }
    const order = await checkout(ctx, carted);
    return {
      resumedFrom: from,
      loggedIn: from === null ? 'this attempt' : `attempt ${ctx.resumed!.attempt}`,
      attempt: ctx.attempt,
      product: carted.product,
      size: ctx.input.size,
      pagesSeen: carted.pagesSeen,
      order,
    };
  },
});
