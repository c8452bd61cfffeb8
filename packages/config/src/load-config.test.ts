import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from './config-error.js';
import { csvList, httpUrl, jsonList, port } from './formats.js';
import { loadConfig } from './load-config.js';
import { REDIS_DEFAULTS } from './test-fixtures/redis-defaults.js';

const SECRET = 'hunter2-very-secret';

const appSchema = {
  apiPort: port({ env: 'API_PORT', default: 3000, doc: 'HTTP port' }),
  allowedTargets: csvList({ env: 'ALLOWED_TARGETS', default: [], doc: 'hosts let through' }),
  multilogin: {
    apiUrl: httpUrl({ env: 'MULTILOGIN_API_URL', default: 'https://api.multilogin.com', doc: 'provider' }),
    password: { env: 'MULTILOGIN_PASSWORD', default: '', format: String, sensitive: true, doc: 'password' },
  },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    const cfg = loadConfig(appSchema, { env: {} });
    expect(cfg.getProperties()).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      ...REDIS_DEFAULTS,
      prefix: 'fleet',
      logLevel: 'info',
      nodeEnv: 'development',
      parentPid: 0,
      apiPort: 3000,
      allowedTargets: [],
      multilogin: { apiUrl: 'https://api.multilogin.com', password: '' },
    });
  });

  it('reads env vars from the env it is given, never from process.env', () => {
    process.env.LOG_LEVEL = 'debug';
    try {
      expect(loadConfig({}, { env: {} }).get('logLevel')).toBe('info');
    } finally {
      delete process.env.LOG_LEVEL;
    }
    const cfg = loadConfig(appSchema, {
      env: {
        REDIS_URL: 'rediss://redis.internal:6380/2',
        FLEET_PREFIX: 'fleet-staging_2',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        API_PORT: '8080',
        ALLOWED_TARGETS: 'a.example, b.example:8443,',
        MULTILOGIN_PASSWORD: SECRET,
      },
    });
    const props = cfg.getProperties();
    expect(props).toMatchObject({ redisUrl: 'rediss://redis.internal:6380/2', prefix: 'fleet-staging_2' });
    expect(props).toMatchObject({ logLevel: 'warn', nodeEnv: 'production', apiPort: 8080 });
    expect(props.allowedTargets).toEqual(['a.example', 'b.example:8443']);
    expect(cfg.get('multilogin.password')).toBe(SECRET);
  });

  it('treats an empty env var as unset', () => {
    expect(loadConfig({}, { env: { FLEET_PREFIX: '', LOG_LEVEL: '' } }).getProperties()).toMatchObject({
      prefix: 'fleet',
      logLevel: 'info',
    });
  });

  it('takes values from the FLEET_CONFIG file, and env vars win over the file', () => {
    const file = writeJson('precedence.json', {
      logLevel: 'debug',
      prefix: 'from-file',
      apiPort: 4000,
      multilogin: { apiUrl: 'http://127.0.0.1:45001' },
    });
    const cfg = loadConfig(appSchema, {
      env: { FLEET_CONFIG: file, FLEET_PREFIX: 'from-env', API_PORT: '5000' },
    });
    expect(cfg.get('logLevel')).toBe('debug'); // file over default
    expect(cfg.get('multilogin.apiUrl')).toBe('http://127.0.0.1:45001'); // nested, file over default
    expect(cfg.get('prefix')).toBe('from-env'); // env over file
    expect(cfg.get('apiPort')).toBe(5000); // env over file
    expect(cfg.get('redisUrl')).toBe('redis://127.0.0.1:6379'); // in neither: default
    // an explicit file wins over FLEET_CONFIG
    expect(loadConfig(appSchema, { env: { FLEET_CONFIG: '/nowhere.json' }, file }).get('logLevel')).toBe(
      'debug',
    );
  });

  it('reports every bad field in one error', () => {
    const file = writeJson('bad.json', { logLevel: 'info', bogus: 1 });
    const error = configError(() =>
      loadConfig(appSchema, {
        env: { FLEET_CONFIG: file, REDIS_URL: 'http://localhost:6379', LOG_LEVEL: 'loud' },
      }),
    );
    expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect(error.problems.map((p) => [p.key, p.env])).toEqual([
      ['redisUrl', 'REDIS_URL'],
      ['logLevel', 'LOG_LEVEL'],
      ['bogus', undefined],
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Invalid configuration (3 problems):');
    expect(lines[1]).toBe(
      '  - REDIS_URL (redisUrl): must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379 (got "http://localhost:6379")',
    );
    expect(lines[2]).toMatch(
      /^ {2}- LOG_LEVEL \(logLevel\): must be one of the possible values: .*"debug".* \(got "loud"\)$/,
    );
    expect(lines[3]).toBe(`  - bogus: is not a known setting; remove it from ${file}`);
    expect(lines[4]).toBe(
      'Fix the environment variables (or the FLEET_CONFIG file) named above and start again.',
    );
  });

  it('says when a bad value came from the file', () => {
    const file = writeJson('bad-port.json', { apiPort: 70000, multilogin: { retries: 3 } });
    const error = configError(() => loadConfig(appSchema, { env: { FLEET_CONFIG: file } }));
    expect(error.problems).toEqual([
      {
        key: 'apiPort',
        env: 'API_PORT',
        message: `must be a TCP port: a whole number from 0 to 65535 (got 70000, set as apiPort in ${file})`,
      },
      {
        key: 'multilogin.retries',
        env: undefined,
        message: `is not a known setting; remove it from ${file}`,
      },
    ]);
  });

  it('lists an unreadable or broken file with the other problems, without quoting it', () => {
    const missing = configError(() =>
      loadConfig({}, { env: { FLEET_CONFIG: join(dir, 'none.json'), LOG_LEVEL: 'x' } }),
    );
    expect(missing.problems.map((p) => p.env)).toEqual(['FLEET_CONFIG', 'LOG_LEVEL']);
    expect(missing.problems[0]!.message).toContain('cannot be read (ENOENT)');

    const broken = writeJson('broken.json', `{"multilogin": {"password": ${SECRET}}}`);
    const error = configError(() => loadConfig(appSchema, { env: { FLEET_CONFIG: broken } }));
    expect(error.problems).toEqual([
      { key: '', env: 'FLEET_CONFIG', message: `${broken} is not valid JSON` },
    ]);
    expect(error.message).not.toContain('hunter2');

    const replaced = writeJson('replaced.json', { multilogin: 'x' });
    expect(configError(() => loadConfig(appSchema, { file: replaced })).problems).toEqual([
      expect.objectContaining({ key: 'multilogin.apiUrl', env: 'MULTILOGIN_API_URL' }),
      expect.objectContaining({ key: 'multilogin.password', env: 'MULTILOGIN_PASSWORD' }),
      { key: 'multilogin', env: undefined, message: `is not a known setting; remove it from ${replaced}` },
    ]);

    const list = writeJson('list.json', [1]);
    expect(configError(() => loadConfig({}, { file: list })).problems[0]).toMatchObject({ env: undefined });
  });

  it('requires settings whose default is null', () => {
    const schema = { token: { env: 'TOKEN', default: null as string | null, format: String, doc: 'x' } };
    const error = configError(() => loadConfig(schema, { env: {} }));
    expect(error.problems).toEqual([
      { key: 'token', env: 'TOKEN', message: 'is required and has no default' },
    ]);
    const keys = { keys: jsonList({ env: 'FLEET_API_KEYS', default: null, doc: 'x', sensitive: true }) };
    expect(configError(() => loadConfig(keys, { env: {} })).problems).toEqual([
      { key: 'keys', env: 'FLEET_API_KEYS', message: 'is required and has no default' },
    ]);
  });

  it('refuses schemas that redefine a common setting or share an env var', () => {
    const redis = { redisUrl: { env: 'OTHER', default: 'x', doc: 'x' } };
    expect(() => loadConfig(redis, { env: {} })).toThrow('app schema redefines common settings: redisUrl');
    const twice = { a: { env: 'SAME', default: 'x', doc: 'x' }, b: { env: 'SAME', default: 'y', doc: 'y' } };
    expect(() => loadConfig(twice, { env: {} })).toThrow('settings a and b both read SAME');
  });
});

describe('sensitive values', () => {
  const env = {
    MULTILOGIN_PASSWORD: SECRET,
    REDIS_URL: `redis://default:${SECRET}@redis.internal:6379`,
    API_PORT: '3001',
  };

  it('are masked in every printed form of the config', () => {
    const cfg = loadConfig(appSchema, { env });
    expect(cfg.get('multilogin.password')).toBe(SECRET);
    for (const printed of [cfg.toString(), JSON.stringify(cfg), JSON.stringify({ cfg }), `${cfg}`]) {
      expect(printed).not.toContain('hunter2');
      expect(printed).toContain('"[Sensitive]"');
      expect(printed).toContain('redis://[redacted]@redis.internal:6379');
    }
    expect(inspect(cfg, { depth: 5 })).not.toContain('hunter2');
  });

  it('never appear in a ConfigError, even when the value is the bad one', () => {
    const file = writeJson('secret.json', { multilogin: { password: 42 } });
    const keys = jsonList({ env: 'FLEET_API_KEYS', default: [], doc: 'x', sensitive: true });
    const error = configError(() =>
      loadConfig(
        { ...appSchema, keys },
        {
          env: {
            FLEET_CONFIG: file,
            FLEET_API_KEYS: `[{"key":"${SECRET}"`,
            REDIS_URL: `http://u:${SECRET}@h`,
          },
        },
      ),
    );
    expect(error.problems.map((p) => p.env)).toEqual(['REDIS_URL', 'FLEET_API_KEYS', 'MULTILOGIN_PASSWORD']);
    for (const printed of [error.message, String(error), JSON.stringify(error.problems)]) {
      expect(printed).not.toContain('hunter2');
      expect(printed).not.toContain('42');
    }
    expect(error.problems[0]!.message).toContain('(got "http://[redacted]@h")');
    expect(error.problems[1]!.message).toBe('must be a JSON array, and this is not valid JSON');
  });
});
