import { describeConfig, loadConfig } from '@fleet/config';
import { notifierSchema } from './config.js';

const KEYS = JSON.stringify([{ name: 'ops', role: 'admin', key: 'a-secret-key-0123456789' }]);

describe('notifier config', () => {
  it('has defaults for everything but the keys', () => {
    const config = loadConfig(notifierSchema, { env: { FLEET_API_KEYS: KEYS } });
    expect(config.getProperties()).toMatchObject({
      notifierPort: 3001,
      apiKeys: [{ name: 'ops', role: 'admin', key: 'a-secret-key-0123456789' }],
      corsOrigins: [],
      revocationCheckMs: 5000,
      prefix: 'fleet',
    });
  });

  it('reads NOTIFIER_* variables and never shows the keys', () => {
    const config = loadConfig(notifierSchema, {
      env: {
        FLEET_API_KEYS: KEYS,
        NOTIFIER_PORT: '4001',
        NOTIFIER_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        NOTIFIER_REVOCATION_CHECK_MS: '1000',
      },
    });
    expect(config.get('notifierPort')).toBe(4001);
    expect(config.get('corsOrigins')).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.get('revocationCheckMs')).toBe(1000);
    expect(JSON.stringify(describeConfig(config))).not.toContain('a-secret-key');
  });

  it('lists every problem at once, without repeating a key', () => {
    const bad = JSON.stringify([{ name: 'ops', role: 'root', key: 'short-secret' }]);
    let message = '';
    try {
      loadConfig(notifierSchema, { env: { FLEET_API_KEYS: bad, NOTIFIER_PORT: '80x' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/FLEET_API_KEYS/);
    expect(message).toMatch(/NOTIFIER_PORT/);
    expect(message).not.toContain('short-secret');
    expect(() => loadConfig(notifierSchema, { env: {} })).toThrow(/FLEET_API_KEYS.*required/);
  });
});
