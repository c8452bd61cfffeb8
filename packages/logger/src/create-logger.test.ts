import { Writable } from 'node:stream';
import { waitFor } from '@fleet/testing';
import { componentLogger, createLogger } from './create-logger.js';
import { REDACT_PATHS, redactQuery, redactUrl } from './redaction.js';

const SECRET = 's3cr3t-value-that-must-not-leak';

/** A destination that keeps what pino writes; `lines()` parses the JSON lines. */
function memory() {
  const chunks: string[] = [];
  return {
    write: (chunk: string) => void chunks.push(chunk),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** `a.*.b["x-y"]` → ['a', '*', 'b', 'x-y'] */
function segments(path: string): string[] {
  return [...path.matchAll(/\["([^"]+)"\]|[^.[\]]+/g)].map((m) => m[1] ?? m[0]);
}

/** An object holding SECRET at `path`, with a concrete key wherever the path has `*`. */
function objectAt(keys: string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  keys.forEach((key, i) => {
    node[key] = i === keys.length - 1 ? SECRET : {};
    node = node[key] as Record<string, unknown>;
  });
  return root;
}

describe('createLogger', () => {
  it.each(REDACT_PATHS.map((path) => [path]))('redacts %s', (path) => {
    const keys = segments(path).map((key) => (key === '*' ? 'ctx' : key));
    const out = memory();
    const logger = createLogger({ name: 'test', level: 'info', pretty: false, destination: out });
    logger.info(objectAt(keys), 'with a secret');
    componentLogger(logger, 'lease').warn(objectAt(keys), 'again, from a child');

    expect(out.text()).not.toContain(SECRET);
    for (const line of out.lines()) {
      const value = keys.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], line);
      expect(value).toBe('[redacted]');
    }
  });

  it('leaves values under other names alone', () => {
    const out = memory();
    const logger = createLogger({ name: 'test', level: 'info', pretty: false, destination: out });
    logger.info({ key: 'pool-a', keyPrefix: 'fleet', profile: { proxy: { host: 'p.example' } } }, 'plain');
    expect(out.lines()[0]).toMatchObject({
      key: 'pool-a',
      keyPrefix: 'fleet',
      profile: { proxy: { host: 'p.example' } },
    });
  });

  it('writes JSON lines with name, level and message when not pretty', () => {
    const out = memory();
    const logger = createLogger({ name: 'worker', level: 'debug', pretty: false, destination: out });
    logger.debug({ batchId: 'b1', ms: 12 }, 'item completed');
    logger.trace('below the level');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      name: 'worker',
      level: 20,
      msg: 'item completed',
      batchId: 'b1',
      ms: 12,
    });
    expect(typeof lines[0]!.time).toBe('number');
  });

  it('gives child loggers their component', () => {
    const out = memory();
    const logger = createLogger({ name: 'worker', level: 'info', pretty: false, destination: out });
    componentLogger(logger, 'lease').info({ profileId: 'p1' }, 'renewed');
    expect(out.lines()[0]).toMatchObject({
      name: 'worker',
      component: 'lease',
      profileId: 'p1',
      msg: 'renewed',
    });
  });

  it('serializes err with type, message, stack and cause', () => {
    const out = memory();
    const logger = createLogger({ name: 'api', level: 'info', pretty: false, destination: out });
    const cause = new Error('connect ECONNREFUSED');
    logger.error({ err: Object.assign(new TypeError('lost', { cause }), { code: 'E_LOST' }) }, 'failed');
    const err = out.lines()[0]!.err as Record<string, unknown>;
    // pino's serializer folds the cause chain into message and stack
    expect(err).toMatchObject({ type: 'TypeError', message: 'lost: connect ECONNREFUSED', code: 'E_LOST' });
    expect(err.stack).toMatch(/TypeError: lost[\s\S]*caused by: Error: connect ECONNREFUSED/);
  });

  it('writes readable, still redacted lines when pretty', async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ name: 'cli', level: 'info', pretty: true, destination });
    componentLogger(logger, 'up').info({ password: SECRET, port: 3000 }, 'api listening');
    await waitFor('a log line', () => chunks.length > 0, { timeoutMs: 5000, intervalMs: 10 });
    const text = chunks.join('');
    expect(text).toMatch(/INFO.*\(cli\/\d+\).*api listening/);
    expect(text).toContain('component: "up"');
    expect(text).toContain('password: "[redacted]"');
    expect(text).not.toContain(SECRET);
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe('createLogger without `pretty`', () => {
  const isTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  afterEach(() => {
    if (isTTY) Object.defineProperty(process.stdout, 'isTTY', isTTY);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  });

  it.each([
    [false, /^\{"level":30,/],
    [true, /INFO.*\(app\/\d+\).*hello/],
  ])('on a terminal: %s', async (terminal, expected) => {
    Object.defineProperty(process.stdout, 'isTTY', { value: terminal, configurable: true });
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    createLogger({ name: 'app', level: 'info', destination }).info('hello');
    await waitFor('a log line', () => chunks.length > 0, { timeoutMs: 5000, intervalMs: 10 });
    expect(chunks.join('')).toMatch(expected);
  });
});

describe('redactUrl', () => {
  it.each([
    [`redis://:${SECRET}@redis:6379/0`, 'redis://[redacted]@redis:6379/0'],
    [`http://user:${SECRET}@proxy.example:8080`, 'http://[redacted]@proxy.example:8080'],
    [`socks5://user:p@ss${SECRET}@10.0.0.1:1080`, 'socks5://[redacted]@10.0.0.1:1080'],
    ['https://example.com/a?mail=x@y.z', 'https://example.com/a?mail=x@y.z'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactQuery', () => {
  it.each([
    [`/v1/batches?api_key=${SECRET}`, '/v1/batches?api_key=[redacted]'],
    [`/v1/batches?limit=5&token=${SECRET}&cursor=abc`, '/v1/batches?limit=5&token=[redacted]&cursor=abc'],
    [`/x?Access%5FToken=${SECRET}#frag`, '/x?Access%5FToken=[redacted]#frag'],
    [
      `/x?password=${SECRET}&sig=${SECRET}&session=${SECRET}`,
      '/x?password=[redacted]&sig=[redacted]&session=[redacted]',
    ],
    ['/v1/batches?state=failed&limit=10', '/v1/batches?state=failed&limit=10'],
    ['/v1/batches', '/v1/batches'],
    ['/x?%E0%A4%A=1', '/x?%E0%A4%A=1'],
  ])('%s', (url, expected) => {
    expect(redactQuery(url)).toBe(expected);
  });
});

describe('the req serializer', () => {
  it('logs a request object as Fastify does, with credentials in its URL masked', () => {
    const out = memory();
    const logger = createLogger({ name: 'api', level: 'info', pretty: false, destination: out });
    class FakeRequest {
      method = 'GET';
      url = `/v1/batches?api_key=${SECRET}&limit=5`;
      host = '127.0.0.1:3000';
      ip = '127.0.0.1';
      headers = { authorization: `Bearer ${SECRET}`, 'accept-version': '1' };
      socket = { remotePort: 5000 };
    }
    logger.info({ req: new FakeRequest() }, 'incoming request');
    expect(out.text()).not.toContain(SECRET);
    expect(out.lines()[0]!.req).toEqual({
      method: 'GET',
      url: '/v1/batches?api_key=[redacted]&limit=5',
      version: '1',
      host: '127.0.0.1:3000',
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
    });
  });

  it('keeps the fields of a plain object logged as req (its url masked)', () => {
    const out = memory();
    const logger = createLogger({ name: 'api', level: 'info', pretty: false, destination: out });
    logger.info({ req: { url: `http://u:${SECRET}@h/?token=${SECRET}`, id: 7 } }, 'plain');
    expect(out.lines()[0]!.req).toEqual({ url: 'http://[redacted]@h/?token=[redacted]', id: 7 });
  });
});
