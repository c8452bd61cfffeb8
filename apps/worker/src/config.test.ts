import { ConfigError, loadConfig } from '@fleet/config';
import { workerSchema } from './config.js';

const load = (env: Record<string, string>) => loadConfig(workerSchema, { env });

/** The ConfigError's problem message for each env name. */
function problemsOf(env: Record<string, string>): Record<string, string> {
  let error: unknown;
  try {
    load(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return Object.fromEntries((error as ConfigError).problems.map((p) => [p.env, p.message]));
}

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
    const problems = problemsOf({
      BLOCK_PRIVATE_TARGETS: 'sometimes',
      ALLOWED_TARGETS: 'https://shop.internal/,10.0.0.0/40,a b',
    });
    expect(problems.BLOCK_PRIVATE_TARGETS).toContain('must be true or false');
    expect(problems.ALLOWED_TARGETS).toContain('"https://shop.internal/": write the host (and :port) only');
    expect(problems.ALLOWED_TARGETS).toContain('"10.0.0.0/40" is not an address range like 10.0.0.0/8');
    expect(problems.ALLOWED_TARGETS).toContain(
      '"a b" is not a host, host:port or address range (e.g. shop.example.com, 127.0.0.1:3005',
    );
  });
});

describe('worker config: WORKER_HOST and ITEM_MAX_STALLS', () => {
  it('counts stalls per host, 3 hosts by default, on the host name of the machine', () => {
    const config = load({});
    expect(config.get('itemMaxStalls')).toBe(3);
    expect(config.get('workerHost')).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(load({ WORKER_HOST: 'rack-2.node-7', ITEM_MAX_STALLS: '5' }).getProperties()).toMatchObject({
      workerHost: 'rack-2.node-7',
      itemMaxStalls: 5,
    });
  });

  it('refuses a host name stall records cannot keep, and a count that is not a whole number', () => {
    const problems = problemsOf({ WORKER_HOST: 'a host\nwith lines', ITEM_MAX_STALLS: 'two' });
    expect(problems.WORKER_HOST).toContain("must be 1-253 letters, digits, '.', '_' or '-'");
    expect(problems.ITEM_MAX_STALLS).toBeDefined();
  });
});
