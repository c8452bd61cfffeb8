import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REDIS_DEFAULTS_DESCRIBED } from './test-fixtures/redis-defaults.js';

const packageDir = join(__dirname, '..');
const SECRET = 'p4ss:w0rd-never-printed';

/** Runs the fixture app with only the env given (plus PATH), as `node --import tsx` would. */
function runApp(env: Record<string, string>) {
  const script = join(__dirname, 'test-fixtures', 'app-main.ts');
  return spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
}

describe('loadConfigOrExit', () => {
  it('prints every problem to stderr, without secrets, and exits with code 2', () => {
    const result = runApp({
      REDIS_URL: 'http://localhost:6379',
      LOG_LEVEL: 'loud',
      APP_PASSWORD: SECRET, // the colon makes it invalid for its format
      FLEET_API_KEYS: `[{"key":"${SECRET}"}`,
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('Invalid configuration (4 problems):');
    for (const env of ['REDIS_URL', 'LOG_LEVEL', 'APP_PASSWORD', 'FLEET_API_KEYS']) {
      expect(lines.some((line) => line.startsWith(`  - ${env} (`))).toBe(true);
    }
    expect(result.stderr).not.toContain('never-printed');
  });

  it('lists a required setting left unset', () => {
    const result = runApp({});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('  - FLEET_API_KEYS (apiKeys): is required and has no default\n');
  });

  it('returns the config when it is valid', () => {
    const result = runApp({ APP_PASSWORD: 'fine-but-secret', FLEET_API_KEYS: '[]' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      ...REDIS_DEFAULTS_DESCRIBED,
      prefix: 'fleet',
      logLevel: 'info',
      nodeEnv: 'development',
      parentPid: 0,
      password: '[Sensitive]',
      apiKeys: '[Sensitive]',
    });
  });
});
