import { parseCidr, parseIp, privateAddressReason } from './private-addresses.js';
import { effectivePort, PrivateTargetGuard } from './private-target-guard.js';
import {
  allowedTargetProblem,
  type Lookup,
  parseAllowedTarget,
  systemLookup,
  TargetPolicy,
} from './target-policy.js';

/** Why the host of `url` (as WHATWG URL parses it) is private, or null. */
function reasonOf(url: string): string | null {
  const ip = parseIp(new URL(url).hostname);
  if (!ip) throw new Error(`${url}: not an IP literal`);
  return privateAddressReason(ip);
}

describe('privateAddressReason: every literal form, as the browser will read it', () => {
  it.each([
    // IPv4, and the odd spellings WHATWG URL (and so Chromium) turns into dotted quads.
    ['http://127.0.0.1/', 'loopback'],
    ['http://127.255.255.254/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://017700000001/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://%31%32%37.0.0.1/', 'loopback'],
    ['http://0/', 'unspecified ("this network")'],
    ['http://0.0.0.0/', 'unspecified ("this network")'],
    ['http://10.1.2.3/', 'private (10.0.0.0/8)'],
    ['http://172.16.0.1/', 'private (172.16.0.0/12)'],
    ['http://172.31.255.255/', 'private (172.16.0.0/12)'],
    ['http://192.168.1.1/', 'private (192.168.0.0/16)'],
    ['http://169.254.169.254/', 'link-local (169.254.0.0/16, cloud metadata)'],
    ['http://100.64.0.1/', 'shared/CGNAT (100.64.0.0/10)'],
    ['http://100.127.255.255/', 'shared/CGNAT (100.64.0.0/10)'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://239.255.255.250/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved (240.0.0.0/4)'],
    ['http://192.0.2.10/', 'reserved (documentation)'],
    ['http://198.18.0.1/', 'reserved (benchmarking)'],
    // IPv6, and the forms that carry an IPv4 address.
    ['http://[::1]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'loopback, IPv4-mapped'],
    ['http://[::ffff:7f00:1]/', 'loopback, IPv4-mapped'],
    ['http://[::ffff:169.254.169.254]/', 'link-local (169.254.0.0/16, cloud metadata), IPv4-mapped'],
    ['http://[::ffff:0:10.0.0.1]/', 'private (10.0.0.0/8), IPv4-translated'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'link-local (169.254.0.0/16, cloud metadata), NAT64'],
    ['http://[64:ff9b::127.0.0.1]/', 'loopback, NAT64'],
    ['http://[64:ff9b:1::1]/', 'private (local-use NAT64)'],
    ['http://[2002:7f00:1::]/', 'loopback, 6to4'],
    ['http://[2002:c0a8:101::1]/', 'private (192.168.0.0/16), 6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback, Teredo'],
    ['http://[::127.0.0.1]/', 'reserved (IPv4-compatible, deprecated)'],
    ['http://[fc00::1]/', 'unique local (fc00::/7)'],
    ['http://[fd12:3456::1]/', 'unique local (fc00::/7)'],
    ['http://[fe80::1]/', 'link-local (fe80::/10)'],
    ['http://[febf::1]/', 'link-local (fe80::/10)'],
    ['http://[fec0::1]/', 'site-local (fec0::/10, deprecated)'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://[2001:db8::1]/', 'reserved (documentation)'],
    ['http://[100::1]/', 'reserved (discard)'],
    ['http://[4000::1]/', 'reserved (outside 2000::/3)'],
  ])('%s → %s', (url, reason) => {
    expect(reasonOf(url)).toBe(reason);
  });

  it.each([
    'http://8.8.8.8/',
    'http://1.1.1.1/',
    'http://172.15.255.255/',
    'http://172.32.0.0/',
    'http://100.63.255.255/',
    'http://100.128.0.0/',
    'http://169.253.255.255/',
    'http://11.0.0.1/',
    'http://223.255.255.255/',
    'http://[2606:4700:4700::1111]/',
    'http://[2a00:1450:4001::200e]/',
    'http://[::ffff:8.8.8.8]/',
    'http://[64:ff9b::808:808]/',
    'http://[2002:808:808::1]/',
  ])('%s is public', (url) => {
    expect(reasonOf(url)).toBeNull();
  });

  it('parses what dns.lookup answers too: zones, full forms, dotted tails', () => {
    expect(privateAddressReason(parseIp('fe80::1%eth0')!)).toBe('link-local (fe80::/10)');
    expect(privateAddressReason(parseIp('::ffff:192.168.0.1')!)).toBe(
      'private (192.168.0.0/16), IPv4-mapped',
    );
    expect(privateAddressReason(parseIp('2001:4860:4860:0000:0000:0000:0000:8888')!)).toBeNull();
    expect(parseIp('example.com')).toBeUndefined();
    expect(parseIp('300.1.1.1')).toBeUndefined();
  });

  it('parses ranges and clears their host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual(parseCidr('10.0.0.0/8'));
    expect(parseCidr('fc00::/7')).toMatchObject({ family: 6, bits: 7 });
    for (const bad of ['10.0.0.0/33', '::/129', 'example.com/8', '10.0.0.0/', '10.0.0.0/x']) {
      expect(parseCidr(bad)).toBeUndefined();
    }
  });
});

describe('ALLOWED_TARGETS entries', () => {
  it.each([
    ['shop.example.com', { kind: 'host', host: 'shop.example.com', port: null }],
    ['Shop.Example.COM.', { kind: 'host', host: 'shop.example.com', port: null }],
    ['127.0.0.1:3005', { kind: 'host', host: '127.0.0.1', port: 3005 }],
    ['0x7f.1:3005', { kind: 'host', host: '127.0.0.1', port: 3005 }],
    ['localhost:80', { kind: 'host', host: 'localhost', port: 80 }],
    ['[::1]:8080', { kind: 'host', host: '::1', port: 8080 }],
    ['::1', { kind: 'host', host: '::1', port: null }],
    [' 10.0.0.0/8 ', { kind: 'range', range: parseCidr('10.0.0.0/8') }],
    ['fd00::/8', { kind: 'range', range: parseCidr('fd00::/8') }],
  ])('%s', (entry, parsed) => {
    expect(parseAllowedTarget(entry)).toEqual(parsed);
  });

  it.each([
    ['http://shop.example.com', 'write the host (and :port) only, without a scheme or path'],
    ['shop.example.com/path', 'is not an address range'],
    ['*.example.com', 'is not a host, host:port or address range'],
    ['user@host', 'is not a host, host:port or address range'],
    ['host:0', 'the port must be a number from 1 to 65535'],
    ['host:70000', 'the port must be a number from 1 to 65535'],
    ['host:', 'is not a host, host:port or address range'],
    ['10.0.0.0/33', 'is not an address range like 10.0.0.0/8'],
    ['', 'is not a host, host:port or address range'],
  ])('%s is refused: %s', (entry, message) => {
    expect(allowedTargetProblem(entry)).toContain(message);
  });

  it('a TargetPolicy refuses a bad entry', () => {
    expect(() => new TargetPolicy({ allowed: ['ok.example', 'http://x'] })).toThrow(
      'ALLOWED_TARGETS: "http://x": write the host (and :port) only',
    );
  });
});

/** Answers from a fixed table, as a resolver would; anything else does not resolve. */
function table(entries: Record<string, string[]>): Lookup {
  return async (host) => {
    const found = entries[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
}

describe('TargetPolicy.verdict', () => {
  const lookup = table({
    'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'split.example': ['93.184.215.14', '10.0.0.7'],
    'mapped.example': ['::ffff:127.0.0.1'],
    'intranet.example': ['10.20.30.40'],
  });
  const policy = new TargetPolicy({
    allowed: ['127.0.0.1:3005', 'shop.internal', '10.20.0.0/16'],
    lookup,
  });

  it.each([
    ['127.0.0.1', 3005, 'allowed'],
    ['127.0.0.1', 3006, 'blocked'],
    ['localhost', 3005, 'blocked'],
    ['foo.localhost', 80, 'blocked'],
    ['LOCALHOST.', 80, 'blocked'],
    ['[::1]', 80, 'blocked'],
    ['169.254.169.254', 80, 'blocked'],
    ['shop.internal', 443, 'allowed'],
    ['public.example', 443, 'allowed'],
    ['split.example', 443, 'blocked'],
    ['mapped.example', 443, 'blocked'],
    ['intranet.example', 80, 'allowed'],
    ['10.20.1.1', 80, 'allowed'],
    ['10.21.0.1', 80, 'blocked'],
    ['8.8.8.8', 53, 'allowed'],
    ['nowhere.example', 80, 'unresolved'],
  ])('%s:%s → %s', async (host, port, kind) => {
    expect((await policy.verdict(host, port)).kind).toBe(kind);
  });

  it('names the host and the kind of address, never the address a name resolved to', async () => {
    expect(await policy.verdict('split.example', 443)).toEqual({
      kind: 'blocked',
      reason: 'split.example resolves to a private (10.0.0.0/8) address',
    });
    expect(await policy.verdict('[::1]', 80)).toEqual({
      kind: 'blocked',
      reason: '::1 is a loopback address',
    });
  });

  it('answers the addresses a public name resolved to, for the caller to connect to', async () => {
    expect(await policy.verdict('public.example', 80)).toEqual({
      kind: 'allowed',
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
  });

  it('uses the system resolver by default: a name that does not exist is unresolved, not blocked', async () => {
    await expect(new TargetPolicy().verdict('fleet-test.invalid', 80)).resolves.toMatchObject({
      kind: 'unresolved',
    });
    expect(
      (await systemLookup('localhost')).every((a) => privateAddressReason(parseIp(a)!) === 'loopback'),
    ).toBe(true);
  });
});

test('with cacheMs, a name is looked up once while its answer is fresh', async () => {
  let lookups = 0;
  const policy = new TargetPolicy({
    cacheMs: 60_000,
    lookup: async () => {
      lookups++;
      return ['8.8.8.8'];
    },
  });
  for (let i = 0; i < 3; i++) expect((await policy.verdict('cdn.example', 443)).kind).toBe('allowed');
  expect(lookups).toBe(1);
});

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
