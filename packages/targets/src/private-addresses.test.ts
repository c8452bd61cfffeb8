import { parseCidr, parseIp, privateAddressReason } from './private-addresses.js';

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
