import { readFileSync } from 'node:fs';
import { README, renderConfigTable, withFreshTable } from './config-table.js';

describe('README configuration table', () => {
  it('lists every setting of every app with its default', () => {
    const table = renderConfigTable();
    for (const env of [
      'REDIS_URL',
      'FLEET_API_KEYS',
      'API_PORT',
      'WORKER_CONCURRENCY',
      'NOTIFIER_PORT',
      'LAUNCHER_PORT',
    ]) {
      expect(table).toContain(`| \`${env}\``);
    }
    expect(table).toMatch(/\| `FLEET_API_KEYS` \(secret\) \| api, notifier \|/);
    expect(table).toMatch(/\| `WORKER_ID` \| worker \| .* \| `<host>-<pid>` \|/);
  });

  it('is what the README holds (run `pnpm docs:config` after changing a schema)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withFreshTable(readme));
  });
});
