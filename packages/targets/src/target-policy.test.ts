import { parseCidr, parseIp, privateAddressReason } from './private-addresses.js';
import { allowedTargetProblem, parseAllowedTarget, systemLookup, TargetPolicy } from './target-policy.js';
import { table } from './test-lookup.js';

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

  /** What the check says, and the entries it says it of. */
  const refusals: Record<string, string[]> = {
    'write the host (and :port) only, without a scheme or path': ['http://shop.example.com'],
    'is not an address range': ['shop.example.com/path'],
    'is not an address range like 10.0.0.0/8': ['10.0.0.0/33'],
    'is not a host, host:port or address range': ['*.example.com', 'user@host', 'host:', ''],
    'the port must be a number from 1 to 65535': ['host:0', 'host:70000'],
  };
  it.each(Object.entries(refusals).flatMap(([message, entries]) => entries.map((entry) => [entry, message])))(
    '%s is refused: %s',
    (entry, message) => {
      expect(allowedTargetProblem(entry)).toContain(message);
    },
  );

  it('a TargetPolicy refuses a bad entry', () => {
    expect(() => new TargetPolicy({ allowed: ['ok.example', 'http://x'] })).toThrow(
      'ALLOWED_TARGETS: "http://x": write the host (and :port) only',
    );
  });
});

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
