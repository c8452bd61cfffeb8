import { isIPv4, isIPv6 } from 'node:net';

// Which IP addresses a browser driven by Fleet must not reach (BLOCK_PRIVATE_TARGETS): everything
// that is not globally reachable unicast — loopback, private, link-local, shared (CGNAT), multicast,
// reserved — and the IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo), judged
// by the IPv4 address inside. Sources: the IANA IPv4 and IPv6 special-purpose address registries.

/** An IP address as a number: 32 bits (IPv4) or 128 bits (IPv6). */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** An address range, e.g. 10.0.0.0/8 (`base` has its host bits cleared). */
export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint {
  return text.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** `::`-compressed or full IPv6, with an optional trailing dotted IPv4; validated before. */
function parseIpv6(text: string): bigint {
  const [head = '', tail] = text.split('::');
  const groups = (part: string): string[] => {
    if (part === '') return [];
    const pieces = part.split(':');
    const last = pieces[pieces.length - 1]!;
    if (last.includes('.')) {
      const v4 = parseIpv4(last);
      pieces.splice(-1, 1, (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
    }
    return pieces;
  };
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const middle = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

/** Parses an IP address (IPv6 may come in brackets or with a `%zone`); undefined when not one. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const unzoned = bare.split('%')[0]!;
  if (isIPv4(unzoned)) return { family: 4, value: parseIpv4(unzoned) };
  if (isIPv6(unzoned)) return { family: 6, value: parseIpv6(unzoned.toLowerCase()) };
  return undefined;
}

/** `10.0.0.0/8`, `fc00::/7`; undefined when not a valid range. Host bits set are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!match) return undefined;
  const ip = parseIp(match[1]!);
  const bits = Number(match[2]);
  if (!ip || bits > WIDTH[ip.family]) return undefined;
  const shift = BigInt(WIDTH[ip.family] - bits);
  return { family: ip.family, base: (ip.value >> shift) << shift, bits };
}

export function inCidr(ip: IpAddress, range: Cidr): boolean {
  if (ip.family !== range.family) return false;
  const shift = BigInt(WIDTH[ip.family] - range.bits);
  return ip.value >> shift === range.base >> shift;
}

type Rule = [range: string, label: string];

const V4_RULES: Rule[] = [
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private (10.0.0.0/8)'],
  ['100.64.0.0/10', 'shared/CGNAT (100.64.0.0/10)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (169.254.0.0/16, cloud metadata)'],
  ['172.16.0.0/12', 'private (172.16.0.0/12)'],
  ['192.0.0.0/24', 'reserved (IETF protocol assignments)'],
  ['192.0.2.0/24', 'reserved (documentation)'],
  ['192.88.99.0/24', 'reserved (6to4 relay anycast)'],
  ['192.168.0.0/16', 'private (192.168.0.0/16)'],
  ['198.18.0.0/15', 'reserved (benchmarking)'],
  ['198.51.100.0/24', 'reserved (documentation)'],
  ['203.0.113.0/24', 'reserved (documentation)'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved (240.0.0.0/4)'],
];

/** IPv6 forms with an IPv4 address inside: where it sits, and the form's name. */
type Embedded = [range: string, name: string, extract: (value: bigint) => bigint];
const low32 = (value: bigint) => value & 0xffffffffn;
const EMBEDDED: Embedded[] = [
  ['::ffff:0:0/96', 'IPv4-mapped', low32],
  ['::ffff:0:0:0/96', 'IPv4-translated', low32],
  ['64:ff9b::/96', 'NAT64', low32],
  ['2002::/16', '6to4', (value) => (value >> 80n) & 0xffffffffn],
  // Teredo: the client's address is stored inverted in the low 32 bits.
  ['2001::/32', 'Teredo', (value) => low32(value) ^ 0xffffffffn],
];

const V6_RULES: Rule[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved (IPv4-compatible, deprecated)'],
  ['64:ff9b:1::/48', 'private (local-use NAT64)'],
  ['100::/64', 'reserved (discard)'],
  ['2001:db8::/32', 'reserved (documentation)'],
  ['3fff::/20', 'reserved (documentation)'],
  ['5f00::/16', 'reserved (SRv6 SIDs)'],
  ['fc00::/7', 'unique local (fc00::/7)'],
  ['fe80::/10', 'link-local (fe80::/10)'],
  ['fec0::/10', 'site-local (fec0::/10, deprecated)'],
  ['ff00::/8', 'multicast'],
];

const compile = (rules: Rule[]) => rules.map(([range, label]) => [parseCidr(range)!, label] as const);
const V4 = compile(V4_RULES);
const V6 = compile(V6_RULES);
const EMBEDDED_RANGES = EMBEDDED.map(([range, name, extract]) => [parseCidr(range)!, name, extract] as const);
const GLOBAL_UNICAST = parseCidr('2000::/3')!;

const MAPPED = EMBEDDED_RANGES[0]![0];

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`); others as they are. */
export function unmapped(ip: IpAddress): IpAddress {
  return inCidr(ip, MAPPED) ? { family: 4, value: low32(ip.value) } : ip;
}

/**
 * Why a browser must not reach this address (e.g. `loopback`, `private (10.0.0.0/8)`), or null
 * when it is globally reachable unicast.
 */
export function privateAddressReason(ip: IpAddress): string | null {
  if (ip.family === 4) return V4.find(([range]) => inCidr(ip, range))?.[1] ?? null;
  for (const [range, name, extract] of EMBEDDED_RANGES) {
    if (!inCidr(ip, range)) continue;
    const inner = privateAddressReason({ family: 4, value: extract(ip.value) });
    return inner === null ? null : `${inner}, ${name}`;
  }
  const rule = V6.find(([range]) => inCidr(ip, range));
  if (rule) return rule[1];
  return inCidr(ip, GLOBAL_UNICAST) ? null : 'reserved (outside 2000::/3)';
}
