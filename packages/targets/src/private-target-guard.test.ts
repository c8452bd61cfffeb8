import { effectivePort, PrivateTargetGuard } from './private-target-guard.js';
import { table } from './test-lookup.js';

describe('PrivateTargetGuard.check (the decision; navigation is tested with Chromium elsewhere)', () => {
  const guard = new PrivateTargetGuard({
    allowed: ['127.0.0.1:3005'],
    lookup: table({ 'shop.example': ['8.8.8.8'] }),
  });

  it('lets public addresses and names through, and the allowlisted site', async () => {
    await expect(guard.check(new URL('http://8.8.8.8/'))).resolves.toBeUndefined();
    await expect(guard.check(new URL('https://shop.example/cart'))).resolves.toBeUndefined();
    await expect(guard.check(new URL('http://127.0.0.1:3005/products/1'))).resolves.toBeUndefined();
  });

  it('refuses with TARGET_BLOCKED naming the host, without credentials or query', async () => {
    const error = await guard.check(new URL('http://user:pw@0x7f.1:8080/admin?token=s3cret')).catch((e) => e);
    expect(error).toMatchObject({ code: 'TARGET_BLOCKED', kind: 'non-retryable' });
    expect(error.message).toBe(
      'http://127.0.0.1:8080/admin is refused: 127.0.0.1 is a loopback address (BLOCK_PRIVATE_TARGETS; ALLOWED_TARGETS can let it through)',
    );
    expect(error.message).not.toMatch(/s3cret|pw/);
  });

  it('knows the default ports', () => {
    expect(effectivePort(new URL('https://a.example/'))).toBe(443);
    expect(effectivePort(new URL('http://a.example/'))).toBe(80);
    expect(effectivePort(new URL('http://a.example:8080/'))).toBe(8080);
  });
});
