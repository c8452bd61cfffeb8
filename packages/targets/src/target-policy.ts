import { lookup } from 'node:dns/promises';
import {
  type Cidr,
  type IpAddress,
  inCidr,
  parseCidr,
  parseIp,
  privateAddressReason,
  unmapped,
} from './private-addresses.js';

// The decision behind BLOCK_PRIVATE_TARGETS / ALLOWED_TARGETS, shared by the worker's guard (before
// a `goto` and on the page it ended at) and the launcher's guarding proxy (every request).

/** One ALLOWED_TARGETS entry: a host (any port), a host:port, or an address range. */
export type AllowedTarget =
  | { kind: 'host'; host: string; port: number | null }
  | { kind: 'range'; range: Cidr };

export type Verdict =
  /** `addresses`: what the name resolved to (connect there, not to a fresh lookup); null when none was needed. */
  | { kind: 'allowed'; addresses: string[] | null }
  | { kind: 'blocked'; reason: string }
  /** The name does not resolve (or the lookup failed): not blocked, it just cannot be reached. */
  | { kind: 'unresolved'; code: string };

/** Resolves a host name to every address it has. */
export type Lookup = (hostname: string) => Promise<string[]>;

export const ALLOWED_TARGET_EXAMPLES = 'shop.example.com, 127.0.0.1:3005, [::1]:8080 or 10.0.0.0/8';

/** Lower case, no brackets around IPv6, no trailing dots: the form both sides are compared in. */
export function normalHost(hostname: string): string {
  const host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1);
  return host.replace(/\.+$/, '');
}

/** Canonical host of `text` as a URL would have it (`0x7f.1` → `127.0.0.1`); undefined when none. */
function canonicalHost(text: string): string | undefined {
  if (text === '' || /[\s/?#@\\*]/.test(text)) return undefined;
  try {
    const url = new URL(`http://${text}`);
    if (url.port !== '' || url.hostname === '') return undefined;
    return normalHost(url.hostname);
  } catch {
    return undefined;
  }
}

/** Parses one ALLOWED_TARGETS entry; a string says what is wrong with it. */
export function parseAllowedTarget(entry: string): AllowedTarget | string {
  const text = entry.trim();
  const bad = `"${text}" is not a host, host:port or address range (e.g. ${ALLOWED_TARGET_EXAMPLES})`;
  if (text.includes('://')) return `"${text}": write the host (and :port) only, without a scheme or path`;
  if (text.includes('/')) {
    const range = parseCidr(text);
    return range ? { kind: 'range', range } : `"${text}" is not an address range like 10.0.0.0/8 or fc00::/7`;
  }
  if (parseIp(text)?.family === 6 && !text.startsWith('[')) {
    return { kind: 'host', host: canonicalHost(`[${text}]`)!, port: null };
  }
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const host = match ? canonicalHost(match[1]!) : undefined;
  if (!match || host === undefined) return bad;
  if (match[2] === undefined) return { kind: 'host', host, port: null };
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `"${text}": the port must be a number from 1 to 65535`;
  return { kind: 'host', host, port };
}

/** The problem with one ALLOWED_TARGETS entry, for the config check; undefined when it is fine. */
export function allowedTargetProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return 'each entry must be a string';
  const parsed = parseAllowedTarget(entry);
  return typeof parsed === 'string' ? parsed : undefined;
}

const LOOKUP_TIMEOUT_MS = 5_000;

/** `dns.lookup` (the system resolver, /etc/hosts included, as the browser's): every address. */
export const systemLookup: Lookup = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })),
      LOOKUP_TIMEOUT_MS,
    );
  });
  try {
    const answers = await Promise.race([lookup(hostname, { all: true, verbatim: true }), timeout]);
    return answers.map((answer) => answer.address);
  } finally {
    clearTimeout(timer);
  }
};

/** What `localhost` and `*.localhost` are: Chromium answers them itself, without DNS. */
const LOCALHOST_ADDRESSES = ['127.0.0.1', '::1'];

export interface TargetPolicyOptions {
  /** ALLOWED_TARGETS entries; a bad one throws (the config check reports them first). */
  allowed?: readonly string[];
  lookup?: Lookup;
  /** Keep what a name resolved to this long (the launcher's relay: one lookup per host, not per request). */
  cacheMs?: number;
}

/** Decides whether a host (and port) may be reached; see `verdict`. */
export class TargetPolicy {
  readonly allowed: readonly AllowedTarget[];
  private readonly lookup: Lookup;
  private readonly cacheMs: number;
  private readonly cache = new Map<string, { addresses: string[]; until: number }>();

  constructor(options: TargetPolicyOptions = {}) {
    this.allowed = (options.allowed ?? []).map((entry) => {
      const parsed = parseAllowedTarget(entry);
      if (typeof parsed === 'string') throw new Error(`ALLOWED_TARGETS: ${parsed}`);
      return parsed;
    });
    this.lookup = options.lookup ?? systemLookup;
    this.cacheMs = options.cacheMs ?? 0;
  }

  /** True when an ALLOWED_TARGETS host or host:port entry names this target. */
  allowsHost(hostname: string, port: number): boolean {
    const host = normalHost(hostname);
    return this.allowed.some(
      (a) => a.kind === 'host' && a.host === host && (a.port === null || a.port === port),
    );
  }

  /** Why this address is refused, or null when it may be reached (public, or in an allowed range). */
  refusal(address: string): string | null {
    const ip = parseIp(address);
    if (!ip) return 'not an IP address';
    const reason = privateAddressReason(ip);
    if (reason === null || this.inAllowedRange(ip)) return null;
    return reason;
  }

  /**
   * Allowlisted host → allowed. An IP literal → judged as it is. `localhost`/`*.localhost` →
   * judged as 127.0.0.1 and ::1. Any other name is resolved and refused when ANY address it has is
   * refused (the browser may pick any of them). A name that does not resolve is `unresolved`.
   */
  async verdict(hostname: string, port: number): Promise<Verdict> {
    if (this.allowsHost(hostname, port)) return { kind: 'allowed', addresses: null };
    const host = normalHost(hostname);
    if (parseIp(host)) return this.judge(host, [host], 'is');
    if (host === 'localhost' || host.endsWith('.localhost'))
      return this.judge(host, LOCALHOST_ADDRESSES, 'is');
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      return { kind: 'unresolved', code: (error as NodeJS.ErrnoException).code ?? 'ERROR' };
    }
    if (addresses.length === 0) return { kind: 'unresolved', code: 'ENODATA' };
    return this.judge(host, addresses, 'resolves to');
  }

  private async resolve(host: string): Promise<string[]> {
    if (this.cacheMs <= 0) return this.lookup(host);
    const now = Date.now();
    const cached = this.cache.get(host);
    if (cached && cached.until > now) return cached.addresses;
    const addresses = await this.lookup(host);
    if (this.cache.size >= 1000) this.cache.clear();
    this.cache.set(host, { addresses, until: now + this.cacheMs });
    return addresses;
  }

  private judge(host: string, addresses: string[], verb: string): Verdict {
    for (const address of addresses) {
      const reason = this.refusal(address);
      if (reason === null) continue;
      // The reason names the kind of address, never the address a name resolved to.
      const article = /^[aeiou]/.test(reason) ? 'an' : 'a';
      return { kind: 'blocked', reason: `${host} ${verb} ${article} ${reason} address` };
    }
    return { kind: 'allowed', addresses };
  }

  private inAllowedRange(ip: IpAddress): boolean {
    const plain = unmapped(ip);
    return this.allowed.some((a) => a.kind === 'range' && (inCidr(ip, a.range) || inCidr(plain, a.range)));
  }
}
