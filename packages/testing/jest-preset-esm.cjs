// The shared preset for packages whose tests load ESM-only dependencies (got 14, WebdriverIO 9):
// Jest below Node 24.9 cannot require them, so they are resolved by their `import` condition
// (jest-esm-resolver.cjs says why) and SWC turns node_modules into CommonJS too.
module.exports = {
  ...require('./jest-preset.cjs'),
  resolver: require.resolve('./jest-esm-resolver.cjs'),
  transformIgnorePatterns: [],
};
