import { request } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer, type Server } from 'node:net';
import { TargetPolicy } from '@fleet/targets';
import {
  FIXTURE_INDEX_TITLE,
  type FixtureSite,
  freePort,
  sleep,
  startFixtureSite,
  startTestProxy,
  type TestProxy,
} from '@fleet/testing';
import { remote } from 'webdriverio';
import type { RunningLauncher } from './launcher.js';
import { ProxyRelay } from './proxy-relay.js';
import { launch, TestClient, tempDataDir } from './test-support.js';

// The profile's proxy carries the browser's traffic, credentials included (through the relay).

const USER = 'fleet-user';
const PASS = 'fleet-proxy-secret';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;

let data: ReturnType<typeof tempDataDir>;
let launcher: RunningLauncher;
let client: TestClient;
let site: FixtureSite;
let openProxy: TestProxy;
let authProxy: TestProxy;
const started = new Set<string>();

beforeAll(async () => {
  data = tempDataDir();
  [site, openProxy, authProxy] = await Promise.all([
    startFixtureSite(),
    startTestProxy(),
    startTestProxy({ username: USER, password: PASS }),
  ]);
  launcher = await launch(data.dir);
  client = new TestClient(launcher.url);
  await client.signIn();
});

afterEach(async () => {
  await Promise.all([...started].map((id) => client.stop(id)));
  started.clear();
});

afterAll(async () => {
  await launcher?.close();
  await Promise.all([site?.close(), openProxy?.close(), authProxy?.close()]);
  data?.cleanup();
});

async function profileWithProxy(proxy: Record<string, unknown>): Promise<string> {
  const id = await client.createProfile();
  const update = await client.call('POST', '/profile/partial_update', {
    profile_id: id,
    proxy,
    parameters: { flags: { proxy_masking: 'custom' } },
  });
  expect(update.http).toBe(200);
  return id;
}

/** Starts the profile, opens `path` of the fixture site, returns the page title. */
async function visit(profileId: string, path: string): Promise<string> {
  const answer = await client.start(profileId);
  expect(answer.body.status.error_code).toBe('');
  started.add(profileId);
  const browser = await remote({
    hostname: '127.0.0.1',
    port: Number(answer.body.data.port),
    path: '/',
    capabilities: { browserName: 'chrome' },
    logLevel: 'warn',
  });
  try {
    await browser.url(`${site.url}${path}`);
    return await browser.getTitle();
  } finally {
    await browser.deleteSession();
  }
}

/** A plain proxied GET sent straight to a proxy, as Chromium would without the relay. */
function viaProxy(proxy: TestProxy, url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.host, port: proxy.port, path: url, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('profile proxies', () => {
  it('sends the browser traffic through a proxy without credentials (loopback included)', async () => {
    const id = await profileWithProxy({
      type: 'http',
      host: '127.0.0.1',
      port: openProxy.port,
      username: '',
      password: '',
    });
    expect(await visit(id, '/?via=open-proxy')).toBe(FIXTURE_INDEX_TITLE);
    const seen = openProxy.requests.filter((r) => r.target === `${site.url}/?via=open-proxy`);
    expect(seen).toEqual([expect.objectContaining({ method: 'GET', status: 200, proxyAuthorization: null })]);
    expect(site.visitsTo('/').some((v) => v.path === '/?via=open-proxy')).toBe(true);
  });

  it('brings the proxy credentials to an authenticating proxy, which refuses requests without them', async () => {
    expect(await viaProxy(authProxy, `${site.url}/?direct=1`)).toBe(407);

    const id = await profileWithProxy({
      type: 'http',
      host: '127.0.0.1',
      port: authProxy.port,
      username: USER,
      password: PASS,
    });
    expect(await visit(id, '/?via=auth-proxy')).toBe(FIXTURE_INDEX_TITLE);
    const seen = authProxy.requests.filter((r) => r.target === `${site.url}/?via=auth-proxy`);
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) expect(r).toMatchObject({ proxyAuthorization: BASIC, status: 200 });
  });

  it('answers GET_PROXY_CONNECTION_IP_ERROR when the proxy accepts no connections', async () => {
    const id = await profileWithProxy({ type: 'http', host: '127.0.0.1', port: await freePort() });
    const answer = await client.start(id);
    expect(answer.http).toBe(400);
    expect(answer.body.status.error_code).toBe('GET_PROXY_CONNECTION_IP_ERROR');
    expect(await client.status(id)).toBe('stopped');
  });

  it('drops the proxy with proxy_masking "disabled"', async () => {
    const id = await profileWithProxy({ type: 'http', host: '127.0.0.1', port: openProxy.port });
    const before = openProxy.requests.length;
    await client.call('POST', '/profile/partial_update', {
      profile_id: id,
      parameters: { flags: { proxy_masking: 'disabled' } },
    });
    expect(await visit(id, '/?via=none')).toBe(FIXTURE_INDEX_TITLE);
    expect(openProxy.requests.length).toBe(before);
  });
});

describe('ProxyRelay', () => {
  let relay: ProxyRelay;
  beforeAll(async () => {
    relay = await ProxyRelay.start({
      type: 'http',
      host: '127.0.0.1',
      port: authProxy.port,
      username: USER,
      password: PASS,
    });
  });
  afterAll(() => relay?.close());

  it('forwards plain requests with Proxy-Authorization added', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: relay.port, path: `${site.url}/?relay=plain` },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(authProxy.requests.at(-1)).toMatchObject({
      target: `${site.url}/?relay=plain`,
      proxyAuthorization: BASIC,
    });
  });

  it('opens CONNECT tunnels with Proxy-Authorization added', async () => {
    const target = `127.0.0.1:${site.port}`;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(relay.port, '127.0.0.1', () => {
        socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (text.includes('200 Connection Established\r\n\r\n') && !text.includes('GET sent')) {
          text += 'GET sent';
          socket.write(`GET /?relay=tunnel HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
        }
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    expect(reply).toContain(FIXTURE_INDEX_TITLE);
    expect(authProxy.requests.at(-1)).toMatchObject({ method: 'CONNECT', target, proxyAuthorization: BASIC });
  });
});

describe('ProxyRelay when a site resets the connection', () => {
  // Headers and part of the body, then a TCP reset: the relay must end the browser's response
  // and keep serving (an unheard 'error' event would throw out of the launcher's process).
  let resetting: Server;
  let resetPort = 0;
  let relay: ProxyRelay;
  beforeAll(async () => {
    resetting = createNetServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial');
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    resetPort = (resetting.address() as AddressInfo).port;
    relay = await ProxyRelay.start(null);
  });
  afterAll(async () => {
    await relay?.close();
    await new Promise((resolve) => resetting?.close(resolve));
  });

  const through = (path: string) =>
    new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: relay.port, path }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(`ended ${res.statusCode}`));
        res.on('error', () => resolve(`cut ${res.statusCode}`));
        res.on('aborted', () => resolve(`cut ${res.statusCode}`));
      });
      req.on('error', (error) => resolve(`failed ${error.message}`));
      req.end();
    });

  it('cuts the response short and keeps relaying', async () => {
    for (let i = 0; i < 5; i++) {
      expect(await through(`http://127.0.0.1:${resetPort}/reset-${i}`)).toMatch(/^(cut 200|failed)/);
    }
    expect(await through(`${site.url}/?after=reset`)).toBe('ended 200');
  });
});

describe('ProxyRelay when the upstream proxy cannot be reached', () => {
  // A proxy that went away (its host cut off): the browser must see a network error, which the
  // step runner retries — not a 502 page of the relay's, which a goto would take for the site's
  // answer (an item "completed" on a page the site never sent; found by the hosts suite).
  it('drops the browser connection instead of answering a page', async () => {
    const gone = {
      type: 'http' as const,
      host: '127.0.0.1',
      port: await freePort(),
      username: '',
      password: '',
    };
    const relay = await ProxyRelay.start(gone);
    try {
      const answer = await new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port: relay.port, path: `${site.url}/?via=gone` }, (res) => {
          res.resume();
          resolve(`answered ${res.statusCode}`);
        });
        req.on('error', (error) => resolve(`failed ${error.message}`));
        req.end();
      });
      expect(answer).toBe('failed socket hang up');
    } finally {
      await relay.close();
    }
  });
});

describe('ProxyRelay when the browser resets a CONNECT while the target is being judged', () => {
  it('hears the reset and keeps relaying', async () => {
    // The lookup takes a while (as DNS may); meanwhile the client resets its socket.
    const slow = new TargetPolicy({
      lookup: async () => {
        await sleep(300);
        return ['10.0.0.1'];
      },
    });
    const relay = await ProxyRelay.start(null, { policy: slow });
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(relay.port, '127.0.0.1', () => {
            socket.write('CONNECT slow.example.test:443 HTTP/1.1\r\nHost: slow.example.test:443\r\n\r\n');
            setTimeout(() => socket.resetAndDestroy(), 20);
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        });
      }
      await sleep(500); // the lookups finish after the resets
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(relay.port, '127.0.0.1', () => {
          socket.write('CONNECT slow.example.test:443 HTTP/1.1\r\nHost: slow.example.test:443\r\n\r\n');
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString();
        });
        socket.on('close', () => resolve(text));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 403/);
    } finally {
      await relay.close();
    }
  });
});
