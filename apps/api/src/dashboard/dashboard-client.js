// The dashboard's script (served as-is at /dashboard/dashboard.js; plain browser JavaScript).
// Every string from the API or the notifier reaches the page through textContent or an attribute,
// never as HTML. The key lives in sessionStorage (this tab only) and travels as a Bearer header
// and as the Socket.IO handshake's auth.token, never in a URL.
(() => {
  const STORAGE_KEY = 'fleet.dashboard.apiKey';
  const BATCH_LIMIT = 50;
  const body = document.body;
  const NOTIFIER_URL = body.dataset.notifierUrl || '';
  const REFRESH_MS = Math.max(1000, Number(body.dataset.refreshMs) || 5000);
  const STATUS_RANK = { queued: 0, running: 1, completed: 2, cancelled: 2 };
  const FINISHED = new Set(['completed', 'cancelled']);

  const el = (id) => document.getElementById(id);
  const ui = {
    login: el('login'),
    loginForm: el('login-form'),
    loginError: el('login-error'),
    loginButton: el('login-button'),
    keyInput: el('key'),
    app: el('app'),
    session: el('session'),
    who: el('who'),
    live: el('live'),
    logout: el('logout'),
    banner: el('banner'),
    batchesBody: el('batches').tBodies[0],
    batchesEmpty: el('batches-empty'),
    batchesNote: el('batches-note'),
    poolsBody: el('pools').tBodies[0],
    poolsEmpty: el('pools-empty'),
    sharing: el('sharing'),
    tenants: el('tenants'),
    tenantsBody: el('tenants').tBodies[0],
    sites: el('sites'),
    sitesBody: el('sites').tBodies[0],
    schedulesBody: el('schedules').tBodies[0],
    schedulesEmpty: el('schedules-empty'),
    hostsDown: el('hosts-down'),
    failures: el('failures'),
    failuresBatch: el('failures-batch'),
    failuresClose: el('failures-close'),
    failureKinds: el('failure-kinds'),
    failedBody: el('failed-items').tBodies[0],
    failuresNote: el('failures-note'),
  };
  const FAILURES_SHOWN = 50;

  /** Everything that belongs to one login; replaced whole at login and logout. */
  let session = null;

  class ApiFailure extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function storage(action, value) {
    try {
      if (action === 'get') return window.sessionStorage.getItem(STORAGE_KEY);
      if (action === 'set') window.sessionStorage.setItem(STORAGE_KEY, value);
      else window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage disabled: the key then lives in memory only (lost on reload).
    }
    return null;
  }

  async function api(key, path) {
    let response;
    try {
      response = await fetch(path, {
        headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiFailure(0, 'UNREACHABLE', 'the API is not reachable');
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (!response.ok) {
      const error = payload?.error ?? {};
      throw new ApiFailure(
        response.status,
        String(error.code ?? `HTTP_${response.status}`),
        String(error.message ?? response.statusText),
      );
    }
    return payload;
  }

  function text(node, value) {
    node.textContent = value;
    return node;
  }

  function make(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function showBanner(message) {
    ui.banner.hidden = !message;
    text(ui.banner, message || '');
  }

  function setLive(state, label) {
    ui.live.dataset.state = state;
    text(ui.live, label);
  }

  // ---- batches ----------------------------------------------------------------------------------

  function createBatchRow(id) {
    const row = make('tr');
    row.dataset.batchId = id;
    const nameCell = make('td');
    const name = make('div', 'name');
    const meta = make('div', 'id', id);
    nameCell.append(name, meta);
    const statusCell = make('td');
    const badge = make('span', 'badge');
    statusCell.append(badge);
    const progressCell = make('td');
    const progress = make('div', 'progress');
    const bar = make('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    const ok = make('div', 'ok');
    const failed = make('div', 'failed');
    bar.append(ok, failed);
    const pct = make('span', 'pct');
    progress.append(bar, pct);
    progressCell.append(progress);
    const completed = make('td', 'num count-completed');
    const failedCount = make('td', 'num count-failed');
    const total = make('td', 'num count-total');
    const created = make('td', 'created');
    row.append(nameCell, statusCell, progressCell, completed, failedCount, total, created);
    return { row, name, meta, badge, bar, ok, failed, pct, completed, failedCount, total, created };
  }

  function renderBatch(entry) {
    const v = entry.view;
    const cells = entry.cells;
    text(cells.name, v.name || '(unnamed)');
    const waiting = v.waitingFor ? `waiting: no live worker has ${v.waitingFor.scenario}` : '';
    text(cells.meta, [v.id, v.owner, v.pool, v.scenario, waiting].filter(Boolean).join(' · '));
    cells.meta.title = 'batch id · owner · pool · scenario';
    text(cells.badge, v.status);
    cells.badge.dataset.status = v.status;
    const total = Math.max(0, Number(v.total) || 0);
    const done = v.completed + v.failed;
    const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
    cells.ok.style.width = `${total > 0 ? (v.completed * 100) / total : 0}%`;
    cells.failed.style.width = `${total > 0 ? (v.failed * 100) / total : 0}%`;
    cells.bar.setAttribute('aria-valuenow', String(percent));
    cells.bar.setAttribute('aria-label', `${done} of ${total} items finished`);
    text(cells.pct, `${percent}%`);
    text(cells.completed, String(v.completed));
    text(cells.failedCount, String(v.failed));
    cells.failedCount.classList.toggle('has-failed', v.failed > 0);
    text(cells.total, String(total));
    const createdAt = new Date(v.createdAt);
    text(cells.created, Number.isNaN(createdAt.getTime()) ? '' : createdAt.toLocaleString());
    cells.created.title = v.createdAt || '';
    cells.row.dataset.status = v.status;
    cells.row.dataset.percent = String(percent);
    cells.row.toggleAttribute('data-has-failed', v.failed > 0);
    cells.row.title = v.failed > 0 ? 'show the failures' : '';
  }

  /** Counters only grow and a finished batch stays finished, whichever source spoke last. */
  function merge(current, fresh) {
    const status =
      (STATUS_RANK[fresh.status] ?? 0) >= (STATUS_RANK[current.status] ?? 0) ? fresh.status : current.status;
    return {
      ...fresh,
      status,
      completed: Math.max(current.completed, fresh.completed),
      failed: Math.max(current.failed, fresh.failed),
    };
  }

  function renderBatches(s, views) {
    const seen = new Set();
    for (const view of views) {
      seen.add(view.id);
      let entry = s.batches.get(view.id);
      if (entry) entry.view = merge(entry.view, view);
      else {
        entry = { view, cells: createBatchRow(view.id) };
        s.batches.set(view.id, entry);
      }
      renderBatch(entry);
      ui.batchesBody.append(entry.cells.row); // newest first, as the API lists them
    }
    for (const [id, entry] of s.batches) {
      if (!seen.has(id)) {
        entry.cells.row.remove();
        s.batches.delete(id);
      }
    }
    ui.batchesEmpty.hidden = views.length > 0;
    text(
      ui.batchesNote,
      views.length >= BATCH_LIMIT
        ? `the ${BATCH_LIMIT} newest`
        : `${views.length} batch${views.length === 1 ? '' : 'es'}`,
    );
  }

  /** A live event: `progress` is `{total, completed, failed}` (item events, batch.completed). */
  function applyEvent(s, batchId, progress, status) {
    const entry = s.batches.get(batchId);
    if (!entry) {
      if (s.all) refreshSoon(s, 300); // a batch newer than the last listing
      return;
    }
    const v = entry.view;
    if (progress && typeof progress === 'object') {
      const completed = Number(progress.completed);
      const failed = Number(progress.failed);
      const total = Number(progress.total);
      if (Number.isFinite(completed)) v.completed = Math.max(v.completed, completed);
      if (Number.isFinite(failed)) v.failed = Math.max(v.failed, failed);
      if (Number.isFinite(total) && total > 0) v.total = total;
    }
    const next = status ?? 'running';
    if ((STATUS_RANK[next] ?? 0) > (STATUS_RANK[v.status] ?? 0)) v.status = next;
    renderBatch(entry);
    if (FINISHED.has(v.status)) syncSubscriptions(s);
  }

  // ---- failures and their evidence -------------------------------------------------------------

  /**
   * An artifact, fetched with the key (it never goes in a URL) and saved as a file. The blob is
   * typed application/octet-stream and only downloaded, never opened: a stored page (HTML) must
   * not run in this page's origin.
   */
  async function download(key, path, filename) {
    const response = await fetch(path, {
      headers: { authorization: `Bearer ${key}` },
      credentials: 'omit',
      cache: 'no-store',
    });
    if (!response.ok) throw new ApiFailure(response.status, `HTTP_${response.status}`, 'not available');
    const blob = new Blob([await response.arrayBuffer()], { type: 'application/octet-stream' });
    const url = URL.createObjectURL(blob);
    const link = make('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  function evidenceCell(s, item) {
    const cell = make('td', 'evidence');
    const links = item.links?.evidence ?? {};
    for (const [part, label, ext] of [
      ['screenshot', 'screenshot', 'png'],
      ['html', 'page HTML', 'html'],
      ['console', 'console', 'txt'],
    ]) {
      const path = links[part];
      if (!path) continue;
      const button = make('button', 'secondary', label);
      button.type = 'button';
      button.dataset.artifact = path;
      button.addEventListener('click', () => {
        download(s.key, path, `${item.id}-${part}.${ext}`).catch((error) =>
          showBanner(`Could not fetch the ${label}: ${error.message}`),
        );
      });
      cell.append(button);
    }
    const evidence = item.error?.evidence;
    if (evidence?.omitted) cell.append(make('span', 'muted', 'evidence not kept (seen before)'));
    if (evidence?.url) cell.append(make('div', 'url', evidence.url));
    return cell;
  }

  async function showFailures(s, batchId) {
    const [errors, page] = await Promise.all([
      api(s.key, `/v1/batches/${encodeURIComponent(batchId)}/errors`),
      api(s.key, `/v1/batches/${encodeURIComponent(batchId)}/items?state=failed&limit=${FAILURES_SHOWN}`),
    ]);
    if (s !== session) return;
    text(ui.failuresBatch, batchId);
    ui.failureKinds.replaceChildren(
      ...errors.errors.map((e) => {
        const kind = make(
          'li',
          '',
          `${e.code} at ${e.path ?? '-'}: ${e.count} failed (${e.withEvidence} with evidence) — ${e.message}`,
        );
        kind.dataset.signature = e.signature;
        return kind;
      }),
    );
    ui.failedBody.replaceChildren(
      ...page.items.map((item) => {
        const row = make('tr');
        row.dataset.item = String(item.index);
        row.append(
          make('td', 'num', String(item.index)),
          make('td', 'name', item.error?.code ?? '-'),
          make('td', 'path', item.error?.path ?? (item.error?.step ?? '-').toString()),
          make('td', '', item.error?.message ?? ''),
          evidenceCell(s, item),
        );
        return row;
      }),
    );
    text(ui.failuresNote, page.nextCursor ? `the first ${FAILURES_SHOWN} failed items` : '');
    ui.failures.hidden = false;
  }

  ui.batchesBody.addEventListener('click', (event) => {
    const row = event.target.closest?.('tr[data-has-failed]');
    const s = session;
    if (!row || !s) return;
    showFailures(s, row.dataset.batchId).catch((error) =>
      showBanner(`Could not load the failures: ${error.code}: ${error.message}`),
    );
  });
  ui.failuresClose.addEventListener('click', () => {
    ui.failures.hidden = true;
  });

  // ---- pools ------------------------------------------------------------------------------------

  function renderPools(pools) {
    const rows = pools.map((p) => {
      const row = make('tr');
      row.dataset.pool = p.pool;
      row.append(make('td', 'name', p.pool));
      for (const [column, className] of [
        ['available', 'state-available'],
        ['coolingDown', 'state-cooling'],
        ['leased', 'state-leased'],
        ['quarantined', 'state-quarantined'],
        ['registered', ''],
      ]) {
        const value = Number(p[column]) || 0;
        const cell = make('td', `num ${value > 0 ? className : ''}`.trim(), String(value));
        cell.dataset.col = column;
        row.append(cell);
      }
      return row;
    });
    ui.poolsBody.replaceChildren(...rows);
    ui.poolsEmpty.hidden = pools.length > 0;
  }

  // ---- sharing ----------------------------------------------------------------------------------

  /** Fair share per API key (when on) and the sites with an admin's rule (admin keys); text only. */
  function renderSharing(tenants, sites) {
    const cells = (row, values) => {
      for (const [column, value, numeric] of values) {
        const cell = make('td', numeric ? 'num' : 'name', String(value));
        cell.dataset.col = column;
        row.append(cell);
      }
      return row;
    };
    const tenantRows = (tenants ?? []).map((t) => {
      const row = make('tr');
      row.dataset.tenant = t.tenant;
      return cells(row, [
        ['tenant', t.tenant, false],
        ['weight', t.weight, true],
        ['cap', t.cap > 0 ? t.cap : '-', true],
        ['waiting', t.waiting, true],
        ['running', t.running, true],
      ]);
    });
    const siteRows = (sites ?? []).map((x) => {
      const row = make('tr');
      row.dataset.site = x.host;
      return cells(row, [
        ['site', x.host, false],
        ['max', x.rule.maxConcurrent ?? '-', true],
        ['delay', x.rule.minDelayMs ?? '-', true],
        ['running', x.running, true],
        ['waiting', x.waiting, true],
      ]);
    });
    ui.tenantsBody.replaceChildren(...tenantRows);
    ui.sitesBody.replaceChildren(...siteRows);
    ui.tenants.hidden = tenantRows.length === 0;
    ui.sites.hidden = siteRows.length === 0;
    ui.sharing.hidden = tenantRows.length === 0 && siteRows.length === 0;
  }

  // ---- schedules --------------------------------------------------------------------------------

  function renderSchedules(schedules) {
    const rows = schedules.map((x) => {
      const row = make('tr');
      row.dataset.schedule = `${x.owner}/${x.id}`;
      const when =
        x.cron !== undefined ? `${x.cron}${x.timezone ? ` (${x.timezone})` : ''}` : `every ${x.everyMs} ms`;
      const last = x.lastError ? `${x.lastError.code}: ${x.lastError.message}` : (x.lastRun?.batchId ?? '');
      for (const [column, value] of [
        ['id', x.id],
        ['owner', x.owner],
        ['when', when],
        ['next', x.paused ? 'paused' : (x.nextRunAt ?? '')],
        ['runs', String(x.runs)],
        ['last', last],
      ]) {
        const cell = make('td', column === 'runs' ? 'num' : '', value);
        cell.dataset.col = column;
        row.append(cell);
      }
      return row;
    });
    ui.schedulesBody.replaceChildren(...rows);
    ui.schedulesEmpty.hidden = schedules.length > 0;
  }

  /**
   * Launcher hosts the workers cannot reach (admin keys get the list), and code scenarios whose
   * items wait for a worker that has them; text only, never markup.
   */
  function renderHostsDown(down, waitingFor) {
    const items = (down ?? []).map((d) => {
      const item = make('li', 'host-down', `${d.provider} unreachable since ${d.since}: ${d.error}`);
      item.dataset.provider = d.provider;
      return item;
    });
    for (const w of waitingFor ?? []) {
      const item = make(
        'li',
        'host-down',
        `${w.queued} items of scenario ${w.scenario} wait: no live worker has it`,
      );
      item.dataset.scenario = w.scenario;
      items.push(item);
    }
    ui.hostsDown.replaceChildren(...items);
    ui.hostsDown.hidden = items.length === 0;
  }

  // ---- refresh loop -----------------------------------------------------------------------------

  function refreshSoon(s, delayMs) {
    if (s !== session) return;
    const at = Date.now() + delayMs;
    if (s.timer && s.timerAt <= at) return;
    clearTimeout(s.timer);
    s.timerAt = at;
    s.timer = setTimeout(() => refresh(s), delayMs);
  }

  async function refresh(s) {
    if (s !== session) return;
    s.timer = null;
    if (s.refreshing) {
      s.again = true;
      return;
    }
    s.refreshing = true;
    try {
      const [page, pools, schedules] = await Promise.all([
        api(s.key, `/v1/batches?limit=${BATCH_LIMIT}`),
        api(s.key, '/v1/pools'),
        api(s.key, '/v1/schedules'),
      ]);
      if (s !== session) return;
      renderBatches(s, page.batches);
      renderPools(pools.pools);
      renderSchedules(schedules.schedules);
      renderHostsDown(pools.providersDown, pools.waitingFor);
      renderSharing(pools.tenants, pools.sites);
      showBanner(s.liveProblem);
      syncSubscriptions(s);
    } catch (error) {
      if (s !== session) return;
      if (error.status === 401) {
        logout('The key is no longer accepted (unknown or revoked): log in again.');
        return;
      }
      showBanner(
        error.code === 'REDIS_UNAVAILABLE'
          ? 'The API cannot reach Redis right now; retrying.'
          : `Could not refresh: ${error.code}: ${error.message}; retrying.`,
      );
    } finally {
      s.refreshing = false;
    }
    if (s !== session) return;
    if (s.again) {
      s.again = false;
      refreshSoon(s, 0);
    } else refreshSoon(s, REFRESH_MS);
  }

  // ---- live events ------------------------------------------------------------------------------

  /** User keys watch each visible unfinished batch; admin keys watch everything at once. */
  function syncSubscriptions(s) {
    const socket = s.socket;
    if (s !== session || !socket || !socket.connected || s.all !== false) return;
    const wanted = new Set();
    for (const [id, entry] of s.batches) if (!FINISHED.has(entry.view.status)) wanted.add(id);
    for (const id of wanted) {
      if (s.subscribed.has(id) || s.pending.has(id)) continue;
      s.pending.add(id);
      socket.emit('subscribe', { batchId: id }, (ack) => {
        s.pending.delete(id);
        if (ack?.ok) s.subscribed.add(id);
      });
    }
    for (const id of s.subscribed) {
      if (wanted.has(id)) continue;
      s.subscribed.delete(id);
      socket.emit('unsubscribe', { batchId: id }, () => {});
    }
  }

  function connectNotifier(s) {
    if (typeof window.io !== 'function') {
      s.liveProblem =
        'Live updates are off (the Socket.IO client did not load); the page refreshes every few seconds.';
      return;
    }
    if (!NOTIFIER_URL) return;
    setLive('connecting', 'connecting');
    const socket = window.io(NOTIFIER_URL, {
      auth: { token: s.key },
      reconnectionDelayMax: 10_000,
    });
    s.socket = socket;

    socket.on('connect', () => {
      if (s !== session) return;
      s.subscribed.clear();
      s.pending.clear();
      s.all = null;
      socket.timeout(10_000).emit('subscribe', { all: true }, (err, ack) => {
        if (s !== session) return;
        if (err) {
          s.liveProblem = 'The notifier did not answer; live updates may be late.';
          showBanner(s.liveProblem);
          return;
        }
        // `{all: true}` is for admin keys: FORBIDDEN says this is a user key, which watches its
        // batches one by one (any other refusal falls back to that too).
        s.all = Boolean(ack?.ok);
        const code = ack?.error?.code;
        if (s.all) text(ui.who, 'admin key · every batch');
        else if (code === 'FORBIDDEN') text(ui.who, 'user key · your batches');
        s.liveProblem =
          s.all || code === 'FORBIDDEN' ? '' : `The notifier answered ${code}: watching batches one by one.`;
        showBanner(s.liveProblem);
        setLive('on', 'live');
        syncSubscriptions(s);
        // After a reconnect, catch up on what happened while disconnected (the first connection
        // comes with the listing start() asked for).
        if (++s.connects > 1) refreshSoon(s, 0);
      });
    });
    socket.on('disconnect', () => {
      if (s !== session) return;
      s.subscribed.clear();
      s.pending.clear();
      setLive('connecting', 'reconnecting');
    });
    socket.on('connect_error', (err) => {
      if (s !== session) return;
      const refused = err?.data?.code;
      setLive('off', 'offline');
      s.liveProblem = refused
        ? `Live updates refused by the notifier (${err.message}); the page refreshes every few seconds.`
        : `Live updates: cannot reach the notifier at ${NOTIFIER_URL}; retrying.`;
      showBanner(s.liveProblem);
    });
    socket.on('auth.revoked', () => {
      if (s === session) logout('This key was revoked: log in with another one.');
    });
    for (const type of ['item.completed', 'item.failed']) {
      socket.on(type, (event) => {
        if (s === session && event?.batchId) applyEvent(s, event.batchId, event.data?.progress, null);
      });
    }
    socket.on('item.started', (event) => {
      if (s === session && event?.batchId) applyEvent(s, event.batchId, null, 'running');
    });
    socket.on('batch.completed', (event) => {
      if (s === session && event?.batchId) applyEvent(s, event.batchId, event.data, 'completed');
    });
    socket.on('batch.cancelled', (event) => {
      if (s === session && event?.batchId) applyEvent(s, event.batchId, null, 'cancelled');
    });
    for (const type of ['profile.quarantined', 'profile.released']) {
      socket.on(type, () => {
        if (s === session) refreshSoon(s, 300);
      });
    }
  }

  // ---- login and logout -------------------------------------------------------------------------

  function start(key) {
    session = {
      key,
      socket: null,
      all: null,
      subscribed: new Set(),
      pending: new Set(),
      batches: new Map(),
      timer: null,
      timerAt: 0,
      refreshing: false,
      again: false,
      liveProblem: '',
      connects: 0,
    };
    ui.batchesBody.replaceChildren();
    ui.poolsBody.replaceChildren();
    renderSharing([], []);
    ui.schedulesBody.replaceChildren();
    ui.failures.hidden = true;
    text(ui.who, '');
    ui.login.hidden = true;
    ui.app.hidden = false;
    ui.session.hidden = false;
    connectNotifier(session);
    refresh(session);
  }

  function logout(message) {
    const s = session;
    session = null;
    storage('remove');
    if (s) {
      clearTimeout(s.timer);
      s.socket?.disconnect();
    }
    ui.batchesBody.replaceChildren();
    ui.poolsBody.replaceChildren();
    renderSharing([], []);
    ui.schedulesBody.replaceChildren();
    ui.failures.hidden = true;
    ui.failedBody.replaceChildren();
    showBanner('');
    setLive('off', 'offline');
    ui.app.hidden = true;
    ui.session.hidden = true;
    ui.login.hidden = false;
    ui.loginError.hidden = !message;
    text(ui.loginError, message || '');
    ui.keyInput.value = '';
    ui.keyInput.focus();
  }

  ui.loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = ui.keyInput.value.trim();
    if (!key) return;
    ui.loginButton.disabled = true;
    ui.loginError.hidden = true;
    try {
      await api(key, '/v1/batches?limit=1'); // any valid key may list (its own) batches
      ui.keyInput.value = '';
      storage('set', key);
      start(key);
    } catch (error) {
      const message =
        error.status === 401
          ? 'That key is not valid (unknown or revoked).'
          : error.status === 429
            ? 'Too many requests with this key: try again in a minute.'
            : `Could not check the key: ${error.code}: ${error.message}`;
      ui.loginError.hidden = false;
      text(ui.loginError, message);
    } finally {
      ui.loginButton.disabled = false;
    }
  });

  ui.logout.addEventListener('click', () => logout(''));

  const saved = storage('get');
  if (saved) start(saved);
})();
