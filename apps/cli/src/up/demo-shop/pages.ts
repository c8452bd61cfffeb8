import { CATALOG_SIZE, euros, product, reviews, SHIPPING, SIZES, type Size } from './catalog.js';

// The demo shop's HTML. Everything a request or a user typed is escaped with `esc` before it lands here.

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface Line {
  product: number;
  size: Size;
  quantity: number;
}

export interface Order {
  id: string;
  user: string;
  name: string;
  address: string;
  shipping: keyof typeof SHIPPING;
  lines: Line[];
  total: number;
  file: { name: string; size: number; type: string };
  placedAt: string;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;color:#222}
a{color:#2457c5}.price{font-weight:600;color:#1b7f3b}li{margin:.25rem 0}label{display:block;margin:.5rem 0}
#cookie-banner{position:fixed;inset:0;background:rgba(0,0,0,.6);display:flex;align-items:center;
justify-content:center;z-index:10}#cookie-banner div{background:#fff;padding:2rem;border-radius:8px}
iframe{width:100%;height:12rem;border:1px solid #ccc}`;

/** A whole page: the nav (with the cart count) and `body`. */
export function page(title: string, body: string, cartCount: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · Fleet demo shop</title>
<style>${STYLE}</style></head>
<body><nav><a href="/">Fleet demo shop</a> · <a href="/search?q=lamp">search</a> · <a href="/login">log in</a> ·
<a href="/cart">cart (<span id="cart-count">${cartCount}</span>)</a></nav>${body}</body></html>`;
}

export function home(): string {
  const items = Array.from({ length: 12 }, (_, i) => {
    const p = product(i + 1);
    return `<li><a href="/products/${i + 1}">${esc(p.name)}</a> <span class="price">${p.price}</span></li>`;
  }).join('');
  return `<h1>Products</h1><ul>${items}</ul><p>${CATALOG_SIZE} products in all: try the search.</p>`;
}

export function searchPage(q: string, hits: number[], page: number, pages: number): string {
  const list = hits.map((n) => {
    const p = product(n);
    return `<li class="result"><a class="title" href="/products/${n}">${esc(p.name)}</a> <span class="price">${p.price}</span></li>`;
  });
  const next =
    page < pages
      ? `<a class="next" rel="next" href="/search?q=${encodeURIComponent(q)}&amp;page=${page + 1}">Next page</a>`
      : '';
  return `<h1>Search: ${esc(q)}</h1><form action="/search"><input id="q" name="q" value="${esc(q)}">
<button type="submit">Search</button></form><p id="page">Page ${page} of ${pages}</p>
<ul>${list.join('')}</ul>${hits.length === 0 ? '<p id="no-results">No products match.</p>' : ''}${next}`;
}

/** A product; `added`: just put in the cart (the add form redirects here with `?added=1`). */
export function productPage(n: number, added = false): string {
  const p = product(n);
  const note = added ? '<p id="added">Added to cart</p>' : '';
  const options = Object.entries(SIZES)
    .map(([value, label]) => `<option value="${value}">${label}</option>`)
    .join('');
  return `<h1>${esc(p.name)}</h1><p class="price">${p.price}</p>
<form method="post" action="/cart"><input type="hidden" name="product" value="${n}">
<label>Size <select id="size" name="size">${options}</select></label>
<button id="add" type="submit">Add to cart</button></form>
${note}<h2>Reviews</h2><iframe id="reviews" title="Reviews" src="/products/${n}/reviews"></iframe>`;
}

/** The page inside a product's iframe#reviews. */
export function reviewsPage(n: number): string {
  const r = reviews(n);
  const items = r.items.map((i) => `<li class="review"><b>${i.by}</b>: ${i.text}</li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reviews</title></head>
<body style="font:14px system-ui,sans-serif"><p>Rating: <span id="rating">${r.rating}</span> / 5</p><ul>${items}</ul></body></html>`;
}

/** The login form; `banner` (when set) is the cookie banner's delay in ms after load. */
export function loginPage(error: string | undefined, banner: number | undefined): string {
  const script =
    banner === undefined
      ? ''
      : `<script>window.addEventListener('load', () => setTimeout(() => {
  const banner = document.createElement('div');
  banner.id = 'cookie-banner';
  banner.innerHTML = '<div><p>This shop uses cookies.</p><button id="accept-cookies" type="button">Accept</button></div>';
  document.body.append(banner);
  document.getElementById('accept-cookies').addEventListener('click', () => {
    document.cookie = 'consent=1; path=/; max-age=31536000; SameSite=Lax';
    banner.remove();
  });
}, ${banner}));</script>`;
  return `<h1>Log in</h1>${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login"><label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="login" type="submit">Log in</button></form><p>Any username; the password is <code>demo</code>.</p>${script}`;
}

export function accountPage(user: string): string {
  return `<h1>Account</h1><p id="welcome">Welcome, ${esc(user)}</p><p><a href="/cart">Your cart</a></p>`;
}

function lineItems(lines: Line[]): string {
  return lines
    .map((l) => {
      const p = product(l.product);
      return `<li class="line"><span class="name">${esc(p.name)}</span> · <span class="size">${SIZES[l.size]}</span> × <span class="quantity">${l.quantity}</span> <span class="price">${p.price}</span></li>`;
    })
    .join('');
}

export function cartPage(lines: Line[], total: number): string {
  if (lines.length === 0) return '<h1>Cart</h1><p id="empty">Your cart is empty.</p>';
  return `<h1>Cart</h1><ul>${lineItems(lines)}</ul><p>Subtotal: <span id="cart-total">${euros(total)}</span></p>
<a id="checkout" href="/checkout">Check out</a>`;
}

export function checkoutPage(lines: Line[], errors: string[] = []): string {
  if (lines.length === 0) return '<h1>Checkout</h1><p id="empty">Your cart is empty.</p>';
  const shipping = Object.entries(SHIPPING)
    .map(
      ([value, cost]) =>
        `<option value="${value}">${value === 'express' ? 'Express' : 'Standard'} (${euros(cost)})</option>`,
    )
    .join('');
  const problems = errors.length
    ? `<ul id="errors" role="alert">${errors.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`
    : '';
  return `<h1>Checkout</h1>${problems}<ul>${lineItems(lines)}</ul>
<form method="post" action="/checkout" enctype="multipart/form-data" target="_blank">
<label>Name <input id="name" name="name" required></label>
<label>Address <textarea id="address" name="address" required></textarea></label>
<label>Shipping <select id="shipping" name="shipping">${shipping}</select></label>
<label><input id="terms" name="terms" type="checkbox" required> I accept the terms</label>
<label>Receipt <input id="receipt" name="receipt" type="file" required></label>
<button id="place-order" type="submit">Place order</button></form>`;
}

export function orderPage(order: Order): string {
  return `<h1>Order confirmed</h1><p>Order <span id="order-id">${esc(order.id)}</span> for ${esc(order.name)}</p>
<ul>${lineItems(order.lines)}</ul>
<p>Receipt: <span id="order-file">${esc(order.file.name)} (${order.file.size} bytes)</span></p>
<p>Total: <span id="order-total">${euros(order.total)}</span></p>`;
}
