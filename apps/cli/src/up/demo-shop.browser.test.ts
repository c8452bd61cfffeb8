import { waitFor } from '@fleet/testing';
import { startTestBrowser, type TestBrowser } from '@fleet/webdriver/test-browser';
import { remote } from 'webdriverio';
import { type DemoSite, product, startDemoSite } from './demo-site.js';

// The whole demo-shop walk in real headless Chromium through WebdriverIO: the cookie banner forced
// on at login, search page 2, the product's size select and reviews iframe, the cart, a checkout
// whose file is made in the page (DataTransfer, no file path) and whose confirmation opens in a
// new tab, then the order in /api/orders.

type Browser = Awaited<ReturnType<typeof remote>>;

let site: DemoSite;
let testBrowser: TestBrowser;
let browser: Browser;

beforeAll(async () => {
  site = await startDemoSite(0);
  testBrowser = await startTestBrowser();
  const { hostname, port, path } = testBrowser.endpoint;
  browser = await remote({
    hostname,
    port,
    path,
    logLevel: 'warn',
    capabilities: { browserName: 'chrome', 'wdio:enforceWebDriverClassic': true },
  });
}, 60_000);

afterAll(async () => {
  await browser?.deleteSession().catch(() => undefined);
  await testBrowser?.close();
  await site?.close();
});

const RECEIPT_BYTES = 3000;

it('walks login, search, product, cart, checkout with an upload, and the confirmation tab', async () => {
  // Login, with the banner forced on: it covers the form until accepted.
  await browser.url(`${site.url}/login?banner=1`);
  await browser.$('#cookie-banner').waitForDisplayed({ timeout: 5_000 });
  // Page scripts are strings: this package's types have no DOM.
  const covered = await browser.execute(`
    const box = document.querySelector('#login').getBoundingClientRect();
    const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return Boolean(top && top.closest('#cookie-banner'));`);
  expect(covered).toBe(true);
  await browser.$('#accept-cookies').click();
  await browser.$('#cookie-banner').waitForExist({ reverse: true, timeout: 5_000 });
  expect((await browser.getCookies()).find((c) => c.name === 'consent')?.value).toBe('1');
  await browser.$('#username').setValue('ana');
  await browser.$('#password').setValue('demo');
  await browser.$('#login').click();
  await browser.$('#welcome').waitForDisplayed({ timeout: 5_000 });
  expect(await browser.$('#welcome').getText()).toBe('Welcome, ana');
  expect(await browser.getUrl()).toBe(`${site.url}/account`);

  // Search, page 2.
  await browser.url(`${site.url}/search?q=lamp`);
  expect(await browser.$('#page').getText()).toBe('Page 1 of 2');
  await browser.$('a.next').click();
  await browser.waitUntil(async () => (await browser.$('#page').getText()) === 'Page 2 of 2', {
    timeout: 5_000,
  });
  expect(await browser.$('a.next').isExisting()).toBe(false);
  const titles = await browser.$$('li.result a.title').map((a) => a.getText());
  expect(titles).toEqual([product(60).name]);
  await browser.$('li.result a.title').click();

  // Product: size select and the reviews iframe; add to cart.
  await browser.waitUntil(async () => (await browser.getUrl()).endsWith('/products/60'), { timeout: 5_000 });
  await browser.$('#size').selectByVisibleText('Large');
  expect(await browser.$('#size').getValue()).toBe('l');
  await browser.switchFrame(browser.$('#reviews'));
  expect(await browser.$('#rating').getText()).toMatch(/^[345]\.\d$/);
  expect((await browser.$$('.review').length) >= 2).toBe(true);
  await browser.switchFrame(null);
  await browser.$('#add').click();
  await browser.waitUntil(async () => (await browser.$('#cart-count').getText()) === '1', { timeout: 5_000 });

  // Cart → checkout.
  await browser.url(`${site.url}/cart`);
  expect(await browser.$('li.line').getText()).toContain('Large');
  await browser.$('a#checkout').click();
  await browser.$('#name').waitForDisplayed({ timeout: 5_000 });
  await browser.$('#name').setValue('Ana Lovelace');
  await browser.$('#address').setValue('1 Main St');
  await browser.$('#shipping').selectByAttribute('value', 'express');
  await browser.$('#terms').click();
  // The file is made in the page: no path on this machine is involved.
  await browser.execute(
    `const input = document.querySelector('#receipt');
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(arguments[0]).fill(120)], 'receipt.txt', { type: 'text/plain' }));
    input.files = transfer.files;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));`,
    RECEIPT_BYTES,
  );

  // The form's target=_blank: the confirmation opens in a new tab.
  const shop = await browser.getWindowHandle();
  await browser.$('#place-order').click();
  const tab = await waitFor(
    'the confirmation tab',
    async () => (await browser.getWindowHandles()).find((h) => h !== shop),
    { timeoutMs: 10_000 },
  );
  await browser.switchToWindow(tab);
  await browser.waitUntil(async () => (await browser.$('h1').getText()) === 'Order confirmed', {
    timeout: 10_000,
  });
  const orderId = await browser.$('#order-id').getText();
  expect(await browser.$('#order-file').getText()).toBe(`receipt.txt (${RECEIPT_BYTES} bytes)`);
  const total = (Number(product(60).price.slice(1)) + 9.9).toFixed(2);
  expect(await browser.$('#order-total').getText()).toBe(`€${total}`);
  await browser.closeWindow();
  await browser.switchToWindow(shop);
  expect(await browser.getUrl()).toBe(`${site.url}/checkout`);

  const { orders } = (await (await fetch(`${site.url}/api/orders`)).json()) as { orders: unknown[] };
  expect(orders).toEqual([
    expect.objectContaining({
      id: orderId,
      user: 'ana',
      name: 'Ana Lovelace',
      address: '1 Main St',
      shipping: 'express',
      lines: [{ product: 60, size: 'l', quantity: 1 }],
      total: Number(total),
      file: { name: 'receipt.txt', size: RECEIPT_BYTES, type: 'text/plain' },
    }),
  ]);
}, 90_000);
