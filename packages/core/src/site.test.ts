import { siteOf } from './site.js';

describe('siteOf: the site an item visits (politeness per site)', () => {
  it('is the host of the first goto, with its port when not the default, in lower case', () => {
    expect(
      siteOf({ steps: [{ goto: 'https://Shop.Example.com/a?b=1' }, { goto: 'https://other.test/' }] }),
    ).toBe('shop.example.com');
    expect(siteOf({ steps: [{ goto: 'http://127.0.0.1:8080/x' }] })).toBe('127.0.0.1:8080');
    expect(siteOf({ steps: [{ goto: 'https://shop.test:443/x' }] })).toBe('shop.test');
  });

  it('looks into nested steps in step order', () => {
    expect(
      siteOf({
        steps: [
          { extract: { name: 't', selector: 'h1' } },
          { if: { exists: '#a' }, then: [{ click: '#a' }], else: [{ goto: 'https://else.test/' }] },
          { goto: 'https://later.test/' },
        ],
      }),
    ).toBe('else.test');
  });

  it('is null without a goto (a scenario item, or steps on the current page)', () => {
    expect(siteOf({ steps: [{ extract: { name: 't', selector: 'h1' } }] })).toBeNull();
    expect(siteOf({})).toBeNull();
  });
});
