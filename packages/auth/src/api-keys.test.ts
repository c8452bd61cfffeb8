import { ApiKeyRing, bearerToken, canSee, checkApiKeyEntry, sha256Hex } from './index.js';

const OPS_KEY = 'ops-key-0123456789abcdef';
const ACME_KEY = 'acme-key-0123456789abcdef';

describe('ApiKeyRing', () => {
  const ring = ApiKeyRing.fromEntries([
    { name: 'ops', role: 'admin', key: OPS_KEY },
    { name: 'acme', role: 'user', sha256: sha256Hex(ACME_KEY) },
  ]);

  it('verifies plain and hashed keys to their principal', () => {
    expect(ring.verify(OPS_KEY)).toEqual({ name: 'ops', role: 'admin' });
    expect(ring.verify(ACME_KEY)).toEqual({ name: 'acme', role: 'user' });
  });

  it('refuses unknown, empty, near-miss and absurdly long tokens', () => {
    for (const token of [
      '',
      'nope',
      `${OPS_KEY}x`,
      OPS_KEY.slice(1),
      sha256Hex(ACME_KEY),
      'a'.repeat(5000),
      null,
    ]) {
      expect(ring.verify(token)).toBeNull();
    }
  });

  it('keeps no plain key in memory', () => {
    expect(JSON.stringify(ring)).not.toContain(OPS_KEY);
    expect(JSON.stringify(Object.values(ring))).not.toContain(OPS_KEY);
  });

  it('reports every bad entry without repeating a key', () => {
    const secret = 'short-secret';
    let message = '';
    try {
      ApiKeyRing.fromEntries([
        { name: 'a', role: 'admin', key: secret },
        { name: 'b', role: 'root', key: OPS_KEY },
        { name: 'c', role: 'user' },
        { name: 'd', role: 'user', sha256: 'xyz' },
        { name: 'bad name', role: 'user', key: OPS_KEY },
        { name: 'e', role: 'user', key: OPS_KEY, extra: 1 },
        'not-an-object',
      ]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/entry 0 \(a\): "key" must be a string of at least 16/);
    expect(message).toMatch(/entry 1 \(b\): "role"/);
    expect(message).toMatch(/entry 2 \(c\): give exactly one/);
    expect(message).toMatch(/entry 3 \(d\): "sha256"/);
    expect(message).toMatch(/entry 4: "name"/);
    expect(message).toMatch(/entry 5 has unknown fields: extra/);
    expect(message).toMatch(/entry 6 must be an object/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(OPS_KEY);
  });

  it('reads fair share settings per key (weight, maxRunning) and refuses bad ones', () => {
    const ring = ApiKeyRing.fromEntries([
      { name: 'ops', role: 'admin', key: OPS_KEY },
      { name: 'acme', role: 'user', key: `${OPS_KEY}-acme`, weight: 2.5, maxRunning: 20 },
    ]);
    expect(ring.shareOf('ops')).toEqual({ weight: 1, cap: 0 });
    expect(ring.shareOf('acme')).toEqual({ weight: 2.5, cap: 20 });
    expect(ring.shareOf('unknown')).toEqual({ weight: 1, cap: 0 });
    const bad = (entry: Record<string, unknown>) =>
      checkApiKeyEntry({ name: 'x', role: 'user', key: OPS_KEY, ...entry }, 0);
    expect(bad({ weight: 0 })).toMatch(/"weight" must be a number above 0/);
    expect(bad({ weight: '2' })).toMatch(/"weight"/);
    expect(bad({ maxRunning: 1.5 })).toMatch(/"maxRunning" must be a whole number of at least 1/);
    expect(bad({ maxRunning: 0 })).toMatch(/"maxRunning"/);
    expect(bad({ weight: 3, maxRunning: 1 })).toBeUndefined();
  });

  it('refuses repeated names and repeated keys', () => {
    expect(() =>
      ApiKeyRing.fromEntries([
        { name: 'a', role: 'admin', key: OPS_KEY },
        { name: 'a', role: 'user', key: ACME_KEY },
      ]),
    ).toThrow(/name "a" is used twice/);
    expect(() =>
      ApiKeyRing.fromEntries([
        { name: 'a', role: 'admin', key: OPS_KEY },
        { name: 'b', role: 'user', sha256: sha256Hex(OPS_KEY) },
      ]),
    ).toThrow(/same as an earlier/);
  });

  it('checkApiKeyEntry accepts a good entry', () => {
    expect(checkApiKeyEntry({ name: 'x', role: 'user', key: OPS_KEY }, 0)).toBeUndefined();
  });
});

describe('bearerToken and canSee', () => {
  it('reads only well-formed Bearer headers', () => {
    expect(bearerToken(`Bearer ${OPS_KEY}`)).toBe(OPS_KEY);
    expect(bearerToken(`bearer ${OPS_KEY}`)).toBe(OPS_KEY);
    expect(bearerToken(OPS_KEY)).toBeNull();
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('admin sees every batch, a user only its own', () => {
    expect(canSee({ name: 'ops', role: 'admin' }, 'acme')).toBe(true);
    expect(canSee({ name: 'ops', role: 'admin' }, null)).toBe(true);
    expect(canSee({ name: 'acme', role: 'user' }, 'acme')).toBe(true);
    expect(canSee({ name: 'acme', role: 'user' }, 'other')).toBe(false);
    expect(canSee({ name: 'acme', role: 'user' }, null)).toBe(false);
  });
});
