import convict from 'convict';
import { describeConfig, maskUrlCredentials } from './describe-config.js';
import { loadConfig } from './load-config.js';
import { REDIS_DEFAULTS_DESCRIBED } from './test-fixtures/redis-defaults.js';

describe('describeConfig', () => {
  it("masks what convict's own toString() masks, and URL credentials too", () => {
    const schema = {
      token: { doc: 'x', env: 'TOKEN', default: '', format: String, sensitive: true },
      upstream: { proxyUrl: { doc: 'x', env: 'PROXY_URL', default: '', format: String } },
    };
    const env = {
      TOKEN: 'tok-123456',
      PROXY_URL: 'http://user:pa55@proxy:8080',
      REDIS_URL: 'redis://:pw@r:6379',
    };
    // convict on its own: the sensitive setting is masked, a password inside a URL is not.
    const raw = convict(schema, { env, args: [] }).toString();
    expect(raw).toContain('"token": "[Sensitive]"');
    expect(raw).toContain('pa55');

    const described = describeConfig(loadConfig(schema, { env }));
    expect(described).toEqual({
      redisUrl: 'redis://[redacted]@r:6379',
      ...REDIS_DEFAULTS_DESCRIBED,
      prefix: 'fleet',
      logLevel: 'info',
      nodeEnv: 'development',
      parentPid: 0,
      token: '[Sensitive]',
      upstream: { proxyUrl: 'http://[redacted]@proxy:8080' },
    });
  });
});

describe('maskUrlCredentials', () => {
  it.each([
    ['redis://:pw@host:6379/0', 'redis://[redacted]@host:6379/0'],
    ['rediss://default:p@ss@host', 'rediss://[redacted]@host'],
    ['https://ghp_token@github.com/x?y=a@b', 'https://[redacted]@github.com/x?y=a@b'],
    ['see http://a:b@h1 and socks5://c:d@h2', 'see http://[redacted]@h1 and socks5://[redacted]@h2'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['https://host?mail=a@b.c', 'https://host?mail=a@b.c'],
  ])('%s', (input, expected) => {
    expect(maskUrlCredentials(input)).toBe(expected);
  });
});
