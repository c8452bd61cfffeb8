import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '@fleet/contracts';
import { REPO_ROOT } from '@fleet/testing';
import { errorReadmes, markers, renderErrorTable, withFreshErrorTables } from './error-tables.js';

describe('README error-code tables', () => {
  it('render one row per code of a surface, with its status, when and what to do', () => {
    const api = renderErrorTable('api', true).split('\n');
    expect(api[0]).toBe('| status | code | when | what to do |');
    expect(api).toContain(
      `| 400 | \`UNKNOWN_POOL\` | ${ERRORS.UNKNOWN_POOL.where.api} | ${ERRORS.UNKNOWN_POOL.hint.replaceAll('|', '\\|')} |`,
    );
    const statuses = api.slice(2).map((row) => Number(row.split(' | ')[0]!.slice(2)));
    expect(statuses).toEqual([...statuses].sort((a, b) => a - b));
    const connect = renderErrorTable('connect', false);
    expect(connect).toMatch(/^\| code \| when \| what to do \|/);
    expect(connect).toContain('| `REDIS_UNAVAILABLE` |');
    expect(connect).not.toContain('`BATCH_TOO_LARGE`');
  });

  it('refuse a README without the markers', () => {
    expect(() => withFreshErrorTables('apps/api/README.md', '# no tables here')).toThrow(
      markers('api').start,
    );
  });

  it.each(errorReadmes())(
    '%s holds what the registry says (run `pnpm docs:errors` after changing it)',
    (readme) => {
      const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
      expect(text).toBe(withFreshErrorTables(readme, text));
    },
  );
});
