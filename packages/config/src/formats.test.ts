import { ConfigError } from './config-error.js';
import { csvList, durationMs, flag, httpUrl, jsonList, port } from './formats.js';
import { loadConfig } from './load-config.js';

interface ApiKey {
  name: string;
  key: string;
}

const schema = {
  port: port({ env: 'PORT', default: 3000, doc: 'x' }),
  idleMs: durationMs({ env: 'IDLE_MS', default: 30000, doc: 'x' }),
  apiUrl: httpUrl({ env: 'API_URL', default: 'https://example.com', doc: 'x' }),
  hosts: csvList({ env: 'HOSTS', default: [], doc: 'x' }),
  targets: csvList({
    env: 'TARGETS',
    default: [],
    doc: 'x',
    items: (item) => (String(item).includes('/') ? `"${item}" has a slash` : undefined),
  }),
  block: flag({ env: 'BLOCK', default: true, doc: 'x' }),
  keys: jsonList<ApiKey>({
    env: 'KEYS',
    default: [],
    doc: 'x',
    sensitive: true,
    items: (item, index) =>
      typeof (item as ApiKey).name === 'string' ? undefined : `entry ${index} needs a "name"`,
  }),
};

/** The problem messages for one env, by env var name; {} when the env is valid. */
function problems(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(schema, { env });
    return {};
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return Object.fromEntries(error.problems.map((p) => [p.env ?? p.key, p.message]));
  }
}

describe('formats', () => {
  it('parses valid values from env strings', () => {
    const cfg = loadConfig(schema, {
      env: {
        PORT: ' 0 ',
        IDLE_MS: '0',
        API_URL: 'http://127.0.0.1:45001/api',
        HOSTS: 'a,b',
        KEYS: '[{"name":"ops","key":"k1"}]',
      },
    });
    expect(cfg.getProperties()).toMatchObject({
      port: 0,
      idleMs: 0,
      apiUrl: 'http://127.0.0.1:45001/api',
      hosts: ['a', 'b'],
      keys: [{ name: 'ops', key: 'k1' }],
    });
    const keys: ApiKey[] = cfg.get('keys');
    expect(keys).toHaveLength(1);
  });

  it('rejects what loose parsing would let through, all at once', () => {
    expect(problems({ PORT: '80x', IDLE_MS: '1.5', API_URL: 'ftp://x', KEYS: '{"name":"acme"}' })).toEqual({
      PORT: 'must be a TCP port: a whole number from 0 to 65535 (got "80x")',
      IDLE_MS: 'must be a duration in milliseconds: a whole number >= 0 (got "1.5")',
      API_URL: 'must be an http:// or https:// URL (got "ftp://x")',
      KEYS: 'must be a JSON array, e.g. [{"name":"ops"}]',
    });
    expect(problems({ PORT: '65536', IDLE_MS: '-1', API_URL: 'not a url' })).toMatchObject({
      PORT: expect.stringContaining('0 to 65535'),
      IDLE_MS: expect.stringContaining('>= 0'),
      API_URL: expect.stringContaining('http://'),
    });
  });

  it('checks each jsonList entry and reports every bad one', () => {
    expect(problems({ KEYS: '[{"name":"a","key":"secret-1"},{"key":"secret-2"},{}]' })).toEqual({
      KEYS: 'entry 1 needs a "name"; entry 2 needs a "name"',
    });
  });

  it('validates the common settings', () => {
    const bad = (env: Record<string, string>) => problems(env);
    expect(bad({ REDIS_URL: 'rediss://:pw@redis:6380', FLEET_PREFIX: 'a-b_C9' })).toEqual({});
    expect(Object.keys(bad({ REDIS_URL: 'redis://' }))).toEqual(['REDIS_URL']);
    for (const prefix of ['{fleet}', 'fleet:x', 'fle et']) {
      expect(bad({ FLEET_PREFIX: prefix }).FLEET_PREFIX).toBe(
        `must be letters, digits, _ or - only (no braces, colons or spaces) (got ${JSON.stringify(prefix)})`,
      );
    }
    expect(bad({ NODE_ENV: 'staging' }).NODE_ENV).toContain('["development","production","test"]');
  });

  it('checks each csvList entry with its items check', () => {
    expect(loadConfig(schema, { env: { TARGETS: 'a, b:1' } }).get('targets')).toEqual(['a', 'b:1']);
    expect(problems({ TARGETS: 'a,b/c,d/e' })).toEqual({
      TARGETS: '"b/c" has a slash; "d/e" has a slash (got ["a","b/c","d/e"])',
    });
  });

  it('reads a flag strictly: true/false, 1/0, yes/no, on/off, and nothing else', () => {
    const read = (value: string) => loadConfig(schema, { env: { BLOCK: value } }).get('block');
    expect(loadConfig(schema, { env: {} }).get('block')).toBe(true);
    expect(['true', '1', 'YES', ' on ', 'True'].map(read)).toEqual([true, true, true, true, true]);
    expect(['false', '0', 'no', 'OFF'].map(read)).toEqual([false, false, false, false]);
    // convict's own Boolean would read every one of these as true.
    for (const value of ['maybe', 'flase', '2']) {
      expect(problems({ BLOCK: value })).toEqual({
        BLOCK: `must be true or false (or 1/0, yes/no, on/off) (got ${JSON.stringify(value)})`,
      });
    }
  });
});
