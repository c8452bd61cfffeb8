// Fastify's cookie@2 and Bull Board's content-disposition@3 are ESM-only: the -esm preset resolves them.
// The fault table is printed by a reporter once every file has run.
module.exports = {
  ...require('@fleet/testing/jest-preset-esm'),
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/fault-table-reporter.cjs'],
};
