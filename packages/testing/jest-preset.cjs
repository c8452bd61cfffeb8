// Shared Jest preset for every Fleet package: `preset: '@fleet/testing'` would need a package-root
// file name jest recognises, so packages spread this object into their jest.config.cjs instead.
// SWC strips types (type-checking is `pnpm typecheck`); the ESM-only packages listed are transformed
// because Jest below Node 24.9 cannot require them.
const path = require('node:path');

const swc = [
  require.resolve('@swc/jest'),
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm|(content-disposition|cookie)/)'],
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: path.join(__dirname, 'src/jest/global-setup.ts'),
  globalTeardown: path.join(__dirname, 'src/jest/global-teardown.ts'),
  testTimeout: 30000,
  maxWorkers: 2,
};
