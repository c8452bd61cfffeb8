// Real Chromium, no Redis: the shared preset's global setup starts a redis-server this package
// does not need, so it is left out. WebdriverIO is ESM-first: the -esm preset resolves it.
const preset = require('@fleet/testing/jest-preset-esm');

module.exports = { ...preset, globalSetup: undefined, globalTeardown: undefined };
