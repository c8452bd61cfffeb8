// The shared preset, minus its redis-server global setup: metrics need no Redis.
const { globalSetup, globalTeardown, ...preset } = require('@fleet/testing/jest-preset');

module.exports = preset;
