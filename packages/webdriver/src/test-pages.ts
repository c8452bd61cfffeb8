// Test-only: the fixture pages of the leaf actions (select, hover, press, scroll, check, waits,
// cookies, tables, evaluate, upload), served by test-site.ts.

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

const FORM = page(
  'Form',
  `<form id="form" onsubmit="return false">
<select id="size"><option value="">Pick one</option><option value="s">Small</option><option value="m">Medium</option><option value="l">Large</option></select>
<select id="late"></select>
<select id="locked" disabled><option value="a">A</option></select>
<div id="not-select">plain</div>
<label><input id="terms" type="checkbox"> terms</label>
<label><input id="news" type="checkbox" checked> news</label>
<label><input id="std" type="radio" name="ship" value="std" checked> standard</label>
<label><input id="exp" type="radio" name="ship" value="exp"> express</label>
<input id="file" type="file">
<input id="text" type="text" value="keep">
<textarea id="notes"></textarea>
</form>
<p id="size-changed"></p><p id="terms-changed"></p><p id="file-info"></p><p id="file-text"></p><p id="input-events">0</p>
<script>
  setTimeout(function () {
    var late = document.getElementById('late');
    ['one', 'two', 'three'].forEach(function (v) { var o = document.createElement('option'); o.value = v; o.textContent = v.toUpperCase(); late.appendChild(o); });
  }, 300);
  document.getElementById('size').addEventListener('change', function (e) { document.getElementById('size-changed').textContent = 'changed:' + e.target.value; });
  document.getElementById('terms').addEventListener('change', function (e) { document.getElementById('terms-changed').textContent = 'terms:' + e.target.checked; });
  var inputs = 0;
  document.getElementById('file').addEventListener('input', function () { inputs++; document.getElementById('input-events').textContent = String(inputs); });
  document.getElementById('file').addEventListener('change', function (e) {
    var f = e.target.files[0];
    document.getElementById('file-info').textContent = f.name + '|' + f.size + '|' + f.type;
    var reader = new FileReader();
    reader.onload = function () { document.getElementById('file-text').textContent = String(reader.result).slice(0, 200); };
    reader.readAsText(f);
  });
</script>`,
);

const HOVER = page(
  'Hover',
  `<style>#submenu { display: none; } #menu:hover #submenu { display: block; } #menu { width: 200px; height: 40px; }</style>
<div style="height: 1500px">tall spacer</div>
<div id="menu">Menu<ul id="submenu"><li><a id="deep" href="#deep">Deep link</a></li></ul></div>
<p id="hovered">no</p>
<script>document.getElementById('menu').addEventListener('mouseenter', function () { document.getElementById('hovered').textContent = 'yes'; });</script>`,
);

const KEYS = page(
  'Keys',
  `<input id="keys" type="text"><input id="other" type="text"><p id="log"></p>
<script>
  var log = [];
  document.addEventListener('keydown', function (e) {
    if (['Control', 'Shift', 'Alt', 'Meta'].indexOf(e.key) !== -1) return;
    var mods = (e.ctrlKey ? 'Control+' : '') + (e.shiftKey ? 'Shift+' : '') + (e.altKey ? 'Alt+' : '');
    log.push(mods + e.key + '@' + (document.activeElement && document.activeElement.id));
    document.getElementById('log').textContent = log.join(' ');
  });
</script>`,
);

const SCROLL = page(
  'Infinite',
  `<style>body { overflow-anchor: none; } .row { height: 60px; }</style><p id="count">20</p><ul id="list"></ul>
<script>
  var list = document.getElementById('list'), n = 0, total = Number(new URLSearchParams(location.search).get('total') || 100);
  function more() { for (var i = 0; i < 20 && n < total; i++) { var li = document.createElement('li'); li.className = 'row'; li.textContent = 'Row ' + (++n); list.appendChild(li); } document.getElementById('count').textContent = String(n); }
  more();
  // Loads 20 more when the window reaches the bottom, as infinite lists do.
  var loading = false;
  window.addEventListener('scroll', function () {
    var root = document.scrollingElement;
    if (loading || root.scrollTop + innerHeight < root.scrollHeight - 5) return;
    loading = true;
    setTimeout(function () { more(); loading = false; }, 100);
  });
</script>`,
);

const TABLE = page(
  'Tables',
  `<table id="prices"><thead><tr><th>Product</th><th>Price</th><th></th><th>Note</th><th>Note</th></tr></thead>
<tbody><tr><td>Lamp</td><td>€1,234.50</td><td>x</td><td>a</td><td>b</td></tr><tr><td>Desk</td><td>12,50 €</td><td>y</td><td>c</td><td>d</td></tr></tbody>
<tfoot><tr><td>Total</td><td>1247</td></tr></tfoot></table>
<table id="plain"><tr><th>Name</th><th>Age</th></tr><tr><td>Ada</td><td>36</td></tr><tr><td>Alan</td><td>41</td></tr></table>
<p class="price">$ 9.99</p><p class="price">1.234.567</p><p class="price">n/a</p><p class="price">-3</p>
<script type="application/json" id="json-data">{"a": [1, 2], "b": "c"}</script>
<div id="json-attr" data-json='{"ok":true}'></div>
<p id="bad-json">{not json</p>`,
);

const DATA = page(
  'Data',
  `<h1>Data</h1><p id="note">noted</p>
<script>
  window.appData = { user: 'ada', items: [1, 2, 3] };
  window.later = function (ms) { return new Promise(function (resolve) { setTimeout(function () { resolve({ waited: ms }); }, ms); }); };
  window.fail = function () { throw new Error('the page says no'); };
  localStorage.setItem('k', 'v'); sessionStorage.setItem('s', 'v');
</script>`,
);

const URL_CHANGE = page(
  'Url change',
  `<p id="status">working</p>
<script>
  setTimeout(function () { history.pushState({}, '', '/url-change/done?step=2'); }, 400);
  setTimeout(function () { document.getElementById('status').textContent = 'Ready now'; }, 600);
</script>`,
);

/** Path → page of the leaf-action fixtures. */
export const ACTION_PAGES: Readonly<Record<string, string>> = {
  '/form': FORM,
  '/hover': HOVER,
  '/keys': KEYS,
  '/scroll': SCROLL,
  '/table': TABLE,
  '/data': DATA,
  '/url-change': URL_CHANGE,
  '/url-change/done': page('Done', '<p>done</p>'),
};
