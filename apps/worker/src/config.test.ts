import { ConfigError, loadConfig } from '@fleet/config';
import { workerSchema } from './config.js';

const load = (env: Record<string, string>) => loadConfig(workerSchema, { env });

describe('worker config: BLOCK_PRIVATE_TARGETS and ALLOWED_TARGETS', () => {
  it('blocks private targets by default, with no exceptions', () => {
    const config = load({});
    expect(config.get('blockPrivateTargets')).toBe(true);
    expect(config.get('allowedTargets')).toEqual([]);
  });

  it('reads the allowlist: host, host:port, IPv6 and ranges', () => {
    const config = load({
      BLOCK_PRIVATE_TARGETS: 'true',
      ALLOWED_TARGETS: 'shop.internal, 127.0.0.1:3005,[::1]:8080 ,10.0.0.0/8',
    });
    expect(config.get('allowedTargets')).toEqual([
      'shop.internal',
      '127.0.0.1:3005',
      '[::1]:8080',
      '10.0.0.0/8',
    ]);
    expect(load({ BLOCK_PRIVATE_TARGETS: 'off' }).get('blockPrivateTargets')).toBe(false);
  });

  it('names each bad entry and what a good one looks like', () => {
    let error: unknown;
    try {
      load({ BLOCK_PRIVATE_TARGETS: 'sometimes', ALLOWED_TARGETS: 'https://shop.internal/,10.0.0.0/40,a b' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = Object.fromEntries((error as ConfigError).problems.map((p) => [p.env, p.message]));
    expect(problems.BLOCK_PRIVATE_TARGETS).toContain('must be true or false');
    expect(problems.ALLOWED_TARGETS).toContain('"https://shop.internal/": write the host (and :port) only');
    expect(problems.ALLOWED_TARGETS).toContain('"10.0.0.0/40" is not an address range like 10.0.0.0/8');
    expect(problems.ALLOWED_TARGETS).toContain(
      '"a b" is not a host, host:port or address range (e.g. shop.example.com, 127.0.0.1:3005',
    );
  });
});
