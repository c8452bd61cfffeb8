// The shared preset (its -esm variant: the apps' index modules reach got and WebdriverIO, which are
// ESM-only), minus its redis-server global setup: nothing here talks to Redis.
const { globalSetup, globalTeardown, ...preset } = require('@fleet/testing/jest-preset-esm');

module.exports = preset;
