// The shared preset, minus its redis-server global setup: nothing here talks to Redis.
const { globalSetup, globalTeardown, ...preset } = require('@fleet/testing/jest-preset');

module.exports = { ...preset, testPathIgnorePatterns: ['/node_modules/', '/fixtures/'] };
