// One table of the scenarios (the fault suite's reporter, with this suite's columns), printed once
// every file has run. HOSTS_PROFILE=long runs the long faults; the default is the short profile.
const { join } = require('node:path');

const REPORTER = require.resolve('@fleet/faults/fault-table-reporter.cjs');
const { LOSS_COLUMNS } = require(REPORTER);

module.exports = {
  ...require('@fleet/testing/jest-preset-esm'),
  globalSetup: join(__dirname, 'src/support/global-setup.ts'),
  globalTeardown: undefined,
  testTimeout: 60000,
  reporters: [
    'default',
    [
      REPORTER,
      {
        title: 'Hosts table',
        columns: [
          { header: 'scenario', key: 'scenario' },
          { header: 'hosts', key: 'hosts' },
          { header: 'items', key: 'items' },
          ...LOSS_COLUMNS,
          { header: 'items failed by faults', key: 'failedByFaults', zero: true },
        ],
      },
    ],
  ],
};
