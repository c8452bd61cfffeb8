import { FIXTURE_COOKIE, FIXTURE_INDEX_TITLE, type FixtureSite, startFixtureSite } from './fixture-site.js';

let site: FixtureSite;
beforeAll(async () => {
  site = await startFixtureSite();
});
afterAll(() => site?.close());

describe('fixture site', () => {
  it('serves the index page and logs every visit with its cookie header', async () => {
    const page = await (await fetch(`${site.url}/?q=1`, { headers: { cookie: 'a=b' } })).text();
    expect(page).toContain(`<title>${FIXTURE_INDEX_TITLE}</title>`);
    expect(page).toContain('class="product"');
    expect(site.visitsTo('/')).toEqual([
      { at: expect.any(Number), method: 'GET', path: '/?q=1', cookie: 'a=b', host: `127.0.0.1:${site.port}` },
    ]);
    const log = (await (await fetch(`${site.url}/visits`)).json()) as unknown[];
    expect(log).toHaveLength(2);
  });

  it('sets a persistent cookie once and recognises it afterwards', async () => {
    const first = await fetch(`${site.url}/cookie`);
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${FIXTURE_COOKIE}=[0-9a-f]{16}; Max-Age=31536000`));
    expect(await first.text()).toContain('<p id="state">new</p>');
    const cookie = setCookie.split(';')[0] as string;
    const second = await fetch(`${site.url}/cookie`, { headers: { cookie } });
    expect(second.headers.get('set-cookie')).toBeNull();
    const body = await second.text();
    expect(body).toContain('<p id="state">returning</p>');
    expect(body).toContain(cookie.split('=')[1]);
  });

  it('answers 404 for unknown paths', async () => {
    expect((await fetch(`${site.url}/nope`)).status).toBe(404);
  });
});
