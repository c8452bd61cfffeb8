import { request } from 'node:http';
import { connect } from 'node:net';
import { type FixtureSite, startFixtureSite } from './fixture-site.js';
import { startTestProxy, type TestProxy } from './test-proxy.js';

let site: FixtureSite;
let proxy: TestProxy;
const BASIC = `Basic ${Buffer.from('u:p').toString('base64')}`;

beforeAll(async () => {
  site = await startFixtureSite();
  proxy = await startTestProxy({ username: 'u', password: 'p' });
});
afterAll(async () => {
  await proxy?.close();
  await site?.close();
});

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.port, path: url, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function tunnel(target: string, headers: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, '127.0.0.1', () =>
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${headers}\r\n`),
    );
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.on('error', reject);
  });
}

describe('test proxy', () => {
  it('answers 407 without credentials and forwards with them, recording both', async () => {
    expect(await get(`${site.url}/?p=1`)).toBe(407);
    expect(await get(`${site.url}/?p=2`, { 'proxy-authorization': BASIC })).toBe(200);
    expect(proxy.requests.slice(-2)).toEqual([
      expect.objectContaining({
        method: 'GET',
        target: `${site.url}/?p=1`,
        proxyAuthorization: null,
        status: 407,
      }),
      expect.objectContaining({
        method: 'GET',
        target: `${site.url}/?p=2`,
        proxyAuthorization: BASIC,
        status: 200,
      }),
    ]);
    expect(site.visitsTo('/').map((v) => v.path)).toEqual(['/?p=2']);
  });

  it('opens CONNECT tunnels to loopback only', async () => {
    const target = `127.0.0.1:${site.port}`;
    expect(await tunnel(target, '')).toMatch(/^HTTP\/1\.1 407/);
    expect(await tunnel(target, `Proxy-Authorization: ${BASIC}\r\n`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await tunnel('192.0.2.1:443', `Proxy-Authorization: ${BASIC}\r\n`)).toMatch(/^HTTP\/1\.1 403/);
    expect(proxy.requests.at(-1)).toMatchObject({ method: 'CONNECT', target: '192.0.2.1:443', status: 403 });
  });
});
