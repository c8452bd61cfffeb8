// The shared preset, minus its redis-server global setup: the policy needs neither Redis nor a
// browser (navigation with the guard is tested with Chromium in @fleet/webdriver and the launcher).
const { globalSetup, globalTeardown, ...preset } = require('@fleet/testing/jest-preset');

module.exports = preset;
