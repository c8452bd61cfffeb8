import { createHash, randomBytes } from 'node:crypto';

/** One form a secret may take on its way into a log line, a Redis value or an event. */
export interface Needle {
  encoding: string;
  text: string;
}

/** A secret planted in the run, with every form the scanner looks for. */
export interface Canary {
  name: string;
  value: string;
  needles: Needle[];
  /** Also any text of this shape (a secret the run makes and never shows: a bearer token). */
  pattern?: RegExp;
}

/** A canary seen somewhere it must not be. */
export interface Finding {
  place: string;
  canary: string;
  encoding: string;
  count: number;
  /** Up to 160 characters around the first occurrence. */
  context: string;
}

/**
 * Base64 of `text` wherever it sits in a longer encoded string (a header value, a JSON blob): for
 * each of the three byte alignments, the characters that depend on the secret's bytes alone.
 */
function base64Fragments(text: string): Needle[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Needle[] = [];
  for (const offset of [0, 1, 2]) {
    const padded = Buffer.concat([Buffer.alloc(offset, 0x20), bytes]);
    const start = offset === 0 ? 0 : 3; // the first group mixes pad and secret bytes
    const end = Math.floor(padded.length / 3) * 3; // a trailing partial group depends on what follows
    const slice = padded.subarray(start, end);
    if (slice.length < 9) continue;
    out.push({ encoding: `base64@${offset}`, text: slice.toString('base64') });
    out.push({ encoding: `base64url@${offset}`, text: slice.toString('base64url') });
  }
  return out;
}

/**
 * The forms a secret takes: as is; its random core alone (survives any escaping and truncation
 * that keeps a few characters together); JSON-escaped once and twice (JSON inside a JSON string, as
 * BullMQ job data sits in a logged object); URL- and form-encoded; base64 at every alignment
 * (Basic auth, cookies); hex of its bytes. `extra` adds forms of one kind of secret.
 */
export function needlesOf(value: string, core: string, extra: Needle[] = []): Needle[] {
  const json = JSON.stringify(value).slice(1, -1);
  const needles: Needle[] = [
    { encoding: 'raw', text: value },
    { encoding: 'core', text: core },
    { encoding: 'json', text: json },
    { encoding: 'json-in-json', text: JSON.stringify(json).slice(1, -1) },
    { encoding: 'uri', text: encodeURIComponent(value) },
    { encoding: 'form', text: new URLSearchParams({ x: value }).toString().slice(2) },
    { encoding: 'hex', text: Buffer.from(value, 'utf8').toString('hex') },
    ...base64Fragments(value),
    ...extra,
  ];
  const seen = new Set<string>();
  return needles.filter((n) => {
    if (n.text.length < 12 || seen.has(n.text)) return false;
    seen.add(n.text);
    return true;
  });
}

/**
 * A fresh secret: a random 16-hex-digit core among characters that every encoding changes
 * (quote, backslash, slash, plus, percent, ampersand, equals, at, colon, and a non-ASCII letter
 * where the secret never goes into an HTTP header).
 */
export function canaryValue(kind: string, headerSafe: boolean): { value: string; core: string } {
  const core = randomBytes(8).toString('hex');
  const tail = headerSafe ? `"\\/+%&=@:~` : `"\\/+%&=@:ü`;
  return { value: `cnry-${kind}-${core}${tail}`, core };
}

export const basicAuth = (username: string, password: string) =>
  Buffer.from(`${username}:${password}`).toString('base64');
export const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** A canary for a secret that may be any text. */
export function textCanary(
  name: string,
  kind: string,
  options: { headerSafe?: boolean; extra?: (v: string) => Needle[] } = {},
): Canary {
  const { value, core } = canaryValue(kind, options.headerSafe ?? false);
  return { name, value, needles: needlesOf(value, core, options.extra?.(value) ?? []) };
}

/** A proxy password canary, with the `Proxy-Authorization: Basic` value its user name gives it. */
export function proxyCanary(name: string, kind: string, username: string): Canary {
  return textCanary(name, kind, {
    headerSafe: false,
    extra: (v) => [{ encoding: 'basic-auth', text: basicAuth(username, v) }],
  });
}

/** A canary for a value known only once the run made it (a session id, a signing key). */
export function knownCanary(name: string, value: string): Canary {
  return { name, value, needles: needlesOf(value, value.slice(0, Math.min(value.length, 20))) };
}

/**
 * Any JWT: the launcher's bearer tokens (Multilogin's are JWTs too) are made at sign-in and never
 * shown to the test, so the scanner looks for their shape. `value` is a sample for the self-check.
 */
export function jwtCanary(): Canary {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const value = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'canary', n: randomBytes(6).toString('hex') })}.${randomBytes(32).toString('base64url')}`;
  return {
    name: 'bearer token (any JWT)',
    value,
    needles: [],
    pattern: /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/g,
  };
}

/** FLEET_SECRET_KEY: 64 hex digits; also looked for as its bytes in base64 and in upper case. */
export function secretKeyCanary(): Canary {
  const bytes = randomBytes(32);
  const value = bytes.toString('hex');
  return {
    name: 'FLEET_SECRET_KEY',
    value,
    needles: [
      { encoding: 'raw', text: value },
      { encoding: 'core', text: value.slice(20, 44) },
      { encoding: 'upper', text: value.toUpperCase() },
      { encoding: 'bytes-base64', text: bytes.toString('base64') },
      { encoding: 'bytes-base64url', text: bytes.toString('base64url') },
      ...base64Fragments(value),
    ],
  };
}

/** Occurrences of `needle` in `text`. */
function occurrences(text: string, needle: string): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    if (first === -1) first = at;
    count++;
  }
  return { count, first };
}

/** Looks for every canary in every form; counts the places and the values it read. */
export class Scanner {
  readonly findings: Finding[] = [];
  readonly places = new Set<string>();
  values = 0;
  bytes = 0;

  constructor(readonly canaries: Canary[]) {}

  /** Scans one value read at `place` (a log file, a Redis key, an event, an answer). */
  scan(place: string, text: string): Finding[] {
    this.places.add(place);
    this.values++;
    this.bytes += text.length;
    const found: Finding[] = [];
    for (const canary of this.canaries) {
      for (const needle of canary.needles) {
        const { count, first } = occurrences(text, needle.text);
        if (count === 0) continue;
        const context = text.slice(Math.max(0, first - 60), first + needle.text.length + 60);
        found.push({ place, canary: canary.name, encoding: needle.encoding, count, context });
      }
      const matches = canary.pattern ? [...text.matchAll(canary.pattern)] : [];
      if (matches.length > 0) {
        const first = matches[0]!.index;
        const context = text.slice(Math.max(0, first - 60), first + matches[0]![0].length + 60);
        found.push({ place, canary: canary.name, encoding: 'pattern', count: matches.length, context });
      }
    }
    this.findings.push(...found);
    return found;
  }

  /** Occurrences of each canary (all forms summed), by canary name. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = Object.fromEntries(this.canaries.map((c) => [c.name, 0]));
    for (const f of this.findings) totals[f.canary] = (totals[f.canary] ?? 0) + f.count;
    return totals;
  }

  /** The findings as lines for an assertion message. */
  report(limit = 40): string {
    return this.findings
      .slice(0, limit)
      .map((f) => `${f.canary} (${f.encoding}) ×${f.count} in ${f.place}: …${f.context}…`)
      .join('\n');
  }
}
