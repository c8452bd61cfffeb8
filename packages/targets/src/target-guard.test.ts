import { httpTarget, urlForMessage } from './target-guard.js';

describe('httpTarget: only absolute http and https URLs reach the guard', () => {
  it('parses them', () => {
    expect(httpTarget('https://shop.example/cart?id=1').href).toBe('https://shop.example/cart?id=1');
    expect(httpTarget('http://127.0.0.1:3005/').port).toBe('3005');
  });

  it.each([
    ['file:///etc/passwd', 'goto refuses file: URLs: only http and https'],
    ['javascript:alert(1)', 'goto refuses javascript: URLs: only http and https'],
    ['/relative/path', 'goto needs an absolute http:// or https:// URL'],
    ['', 'goto needs an absolute http:// or https:// URL'],
  ])('%s → TARGET_BLOCKED', (raw, message) => {
    expect(() => httpTarget(raw)).toThrow(expect.objectContaining({ code: 'TARGET_BLOCKED', message }));
  });
});

describe('urlForMessage: what of a URL may appear in errors and logs', () => {
  it('keeps origin and path, drops credentials, query and fragment', () => {
    expect(urlForMessage('https://user:pw@shop.example:8443/a/b?token=s3cret#frag')).toBe(
      'https://shop.example:8443/a/b',
    );
    expect(urlForMessage(new URL('http://shop.example/'))).toBe('http://shop.example/');
  });

  it('names only the scheme of other URLs, and says when it is not one', () => {
    expect(urlForMessage('data:text/html,<script>secret</script>')).toBe('data:…');
    expect(urlForMessage('not a url')).toBe('(not a URL)');
  });
});
